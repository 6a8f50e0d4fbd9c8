import type { Command } from 'commander';
import { describeDatabase } from '../../store/open-store.ts';
import { type DataOptions, withDataOptions, withStore } from '../context.ts';

export function migrateCommand(program: Command): void {
  withDataOptions(program.command('migrate').description('create or upgrade the database schema')).action(async (options: DataOptions) =>
    withStore(
      { ...options, writes: false },
      async (cli, applied) => {
        const where = describeDatabase(cli.config);
        // withStore has already migrated; report what the database holds now.
        const collisions = await cli.store.usernameCollisions();
        for (const names of collisions) {
          // A warning, not a failure: the accounts keep working (a login matches the exact spelling first).
          process.stderr.write(
            `portcullis: warning: usernames that are one name once compared canonically (case, Unicode form): ${names.join(', ')}; ` +
              'rename or delete all but one (docs/security.md#usernames)\n',
          );
        }
        // Version 1 is the initial schema: applying it now means the database was new.
        const outcome = applied.includes(1) ? 'created' : applied.length > 0 ? 'upgraded' : 'up to date';
        const human =
          outcome === 'created' ? `created ${where} (schema version ${Math.max(...applied)})`
          : outcome === 'upgraded' ? `upgraded ${where} (applied ${applied.join(', ')})`
          : `${where} is up to date`;
        cli.print(
          { store: cli.store.kind, database: where, outcome, applied, ...(collisions.length > 0 ? { username_collisions: collisions } : {}) },
          human,
        );
      },
      true,
    ),
  );
}
