import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { listTokens, parseTokenState, purgeTokens, revokeTokens } from '../../manage/tokens.ts';
import { parseCount } from '../../manage/clients.ts';
import { type DataOptions, readPasswordFromStdin, table, withDataOptions, withStore } from '../context.ts';

export function tokenCommand(program: Command): void {
  const token = program.command('token').description('list, revoke and purge tokens');

  withDataOptions(
    token
      .command('list')
      .description('list tokens, newest first')
      .option('--client <client_id>', 'only this client\'s')
      .option('--user <username>', 'only this user\'s')
      .option('--state <state>', 'active, expired, revoked or rotated')
      .option('--limit <n>', 'at most this many', '100'),
  ).action(async (options: DataOptions & { client?: string; user?: string; state?: string; limit: string }) =>
    withStore(options, async (cli) => {
      const rows = await listTokens(cli.store, cli.clock, {
        clientId: options.client,
        username: options.user,
        state: options.state === undefined ? undefined : parseTokenState(options.state),
        limit: parseCount('--limit', options.limit, 1),
      });
      cli.print(rows, table(rows, ['id', 'kind', 'state', 'client_id', 'username', 'scope', 'expires_at']));
    }),
  );

  withDataOptions(
    token
      .command('revoke')
      .description('revoke a grant (the token and every token issued with it), or all of a user\'s or client\'s')
      .option('--id <id>', 'token id, as token list shows it')
      .option('--token-stdin', 'read the token itself from standard input')
      .option('--user <username>', 'every grant of this user')
      .option('--client <client_id>', 'every grant of this client'),
  ).action(async (options: DataOptions & { id?: string; tokenStdin?: boolean; user?: string; client?: string }) =>
    withStore(options, async (cli) => {
      const chosen = [options.id, options.tokenStdin, options.user, options.client].filter((value) => value !== undefined);
      if (chosen.length !== 1) throw new UserError('give exactly one of --id, --token-stdin, --user, --client');
      const target = options.id
        ? { id: options.id }
        : options.tokenStdin
          ? { token: (await readPasswordFromStdin()).trim() }
          : options.user
            ? { username: options.user }
            : { clientId: options.client! };
      const revoked = await revokeTokens(cli.store, cli.clock, target);
      cli.print({ revoked_grants: revoked }, `revoked ${revoked} grant(s)`);
    }),
  );

  withDataOptions(token.command('purge').description('delete expired and revoked tokens now')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      const removed = await purgeTokens(cli.store, cli.clock);
      cli.print({ removed }, `removed ${removed} token(s)`);
    }),
  );
}
