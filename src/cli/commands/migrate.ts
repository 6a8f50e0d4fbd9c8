import type { Command } from 'commander';
import { type DataOptions, withDataOptions, withStore } from '../context.ts';

export function migrateCommand(program: Command): void {
  withDataOptions(program.command('migrate').description('create or upgrade the database schema')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      // withStore has already migrated; report what the database holds now.
      cli.print({ store: cli.store.kind, migrated: true }, `database is up to date (${cli.store.kind})`);
    }),
  );
}
