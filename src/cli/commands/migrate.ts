import type { Command } from 'commander';
import { type DataOptions, withDataOptions, withStore } from '../context.ts';

export function migrateCommand(program: Command): void {
  withDataOptions(program.command('migrate').description('create or upgrade the database schema')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      // withStore has already migrated; report what the database holds now.
      const collisions = await cli.store.usernameCollisions();
      for (const names of collisions) {
        // A warning, not a failure: the accounts keep working (a login matches the exact spelling first).
        process.stderr.write(
          `portcullis: warning: usernames that are one name once compared canonically (case, Unicode form): ${names.join(', ')}; ` +
            'rename or delete all but one (docs/security.md#usernames)\n',
        );
      }
      cli.print(
        { store: cli.store.kind, migrated: true, ...(collisions.length > 0 ? { username_collisions: collisions } : {}) },
        `database is up to date (${cli.store.kind})`,
      );
    }),
  );
}
