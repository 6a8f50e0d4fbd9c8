import type { Command } from 'commander';
import { createUser, deleteUser, describeUser, setPassword, setUserEnabled, setUserGroups, setUserProfile } from '../../manage/users.ts';
import { type DataOptions, readPasswordFromStdin, takesEffect, UsageError, splitCsv, table, withDataOptions, withStore } from '../context.ts';
import { userMfaCommand } from './user-mfa.ts';
import { userUnlockCommand } from './user-unlock.ts';

/** A usage error (exit 2) before anything is opened: the password only ever comes from standard input. */
function requirePasswordStdin(options: { passwordStdin?: boolean }): void {
  if (!options.passwordStdin) throw new UsageError('give the password on standard input with --password-stdin');
}

export function userCommand(program: Command): void {
  const user = program.command('user').description('manage resource owners (users)');

  withDataOptions(
    user
      .command('create')
      .description('create a user')
      .requiredOption('--username <name>', 'username')
      .option('--password-stdin', 'read the password from standard input')
      .option('--groups <list>', 'groups, comma-separated')
      .option('--name <name>', 'display name (userinfo name)')
      .option('--email <address>', 'email address (userinfo email)'),
  ).action(async (options: DataOptions & { username: string; passwordStdin?: boolean; groups?: string; name?: string; email?: string }) => {
    requirePasswordStdin(options);
    await withStore(options, async (cli) => {
      const password = await readPasswordFromStdin();
      const created = await createUser(cli.store, cli.hasher, cli.clock, {
        username: options.username,
        password,
        groups: splitCsv(options.groups),
        name: options.name,
        email: options.email,
      });
      cli.print(describeUser(created), `created user ${created.username}`);
    });
  });

  withDataOptions(
    user
      .command('passwd')
      .description('set a user\'s password; all their tokens end')
      .requiredOption('--username <name>', 'username')
      .option('--password-stdin', 'read the password from standard input'),
  ).action(async (options: DataOptions & { username: string; passwordStdin?: boolean }) => {
    requirePasswordStdin(options);
    await withStore(options, async (cli) => {
      const password = await readPasswordFromStdin();
      await setPassword(cli.store, cli.hasher, cli.clock, options.username, password);
      cli.print({ username: options.username, password_changed: true }, `changed the password of ${options.username}`);
    });
  });

  withDataOptions(user.command('list').description('list users: local ones, and directory users who have signed in (read-only)')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      const rows = (await cli.store.listUsers()).map(describeUser);
      cli.print(rows, table(rows, ['username', 'groups', 'enabled', 'source']));
    }),
  );

  withDataOptions(
    user
      .command('profile')
      .description('set or clear (with "") a user\'s name and email, the claims userinfo shows')
      .requiredOption('--username <name>', 'username')
      .option('--name <name>', 'display name')
      .option('--email <address>', 'email address'),
  ).action(async (options: DataOptions & { username: string; name?: string; email?: string }) =>
    withStore(options, async (cli) => {
      if (options.name === undefined && options.email === undefined) throw new UsageError('give --name, --email or both');
      const updated = await setUserProfile(cli.store, cli.clock, options.username, { name: options.name, email: options.email });
      cli.print(describeUser(updated), `updated the profile of ${options.username}`);
    }),
  );

  withDataOptions(
    user
      .command('groups')
      .description('set the groups of a user')
      .requiredOption('--username <name>', 'username')
      .requiredOption('--groups <list>', 'groups, comma-separated (empty for none)'),
  ).action(async (options: DataOptions & { username: string; groups: string }) =>
    withStore(options, async (cli) => {
      await setUserGroups(cli.store, options.username, splitCsv(options.groups) ?? []);
      cli.print({ username: options.username, groups: splitCsv(options.groups) }, `set the groups of ${options.username}\n${takesEffect(cli)}`);
    }),
  );

  for (const [name, enabled] of [['enable', true], ['disable', false]] as const) {
    withDataOptions(
      user
        .command(name)
        .description(enabled ? 'enable a user' : 'disable a user; all their tokens end')
        .requiredOption('--username <name>', 'username'),
    ).action(async (options: DataOptions & { username: string }) =>
      withStore(options, async (cli) => {
        await setUserEnabled(cli.store, cli.clock, options.username, enabled);
        cli.print({ username: options.username, enabled }, `${name}d user ${options.username}`);
      }),
    );
  }

  withDataOptions(
    user.command('delete').description('delete a user; all their tokens end').requiredOption('--username <name>', 'username'),
  ).action(async (options: DataOptions & { username: string }) =>
    withStore(options, async (cli) => {
      await deleteUser(cli.store, cli.clock, options.username);
      cli.print({ username: options.username, deleted: true }, `deleted user ${options.username}`);
    }),
  );
  userUnlockCommand(user);
  userMfaCommand(user);
}
