import type { Command } from 'commander';
import { listSigningKeys, parseSigningAlgorithm, rotateSigningKey } from '../../manage/signing-keys.ts';
import { type DataOptions, table, withDataOptions, withStore } from '../context.ts';

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('the keys that sign JWT access tokens and ID tokens (docs/tokens.md)');

  withDataOptions(keys.command('list').description('every signing key with its state: next, current or retired')).action(
    async (options: DataOptions) =>
      withStore(options, async (cli) => {
        const rows = await listSigningKeys(cli.store, cli.clock);
        cli.print(rows, table(rows, ['kid', 'alg', 'state', 'published', 'signs_from', 'retired_at', 'unpublished_at']));
      }),
  );

  withDataOptions(
    keys
      .command('rotate')
      .description('publish a new key now; it signs after the publish delay and the current key retires then')
      .option('--alg <alg>', 'ES256, RS256 or EdDSA (default: the signing_key_algorithm setting)'),
  ).action(async (options: DataOptions & { alg?: string }) =>
    withStore(options, async (cli) => {
      const alg = options.alg === undefined ? undefined : parseSigningAlgorithm(options.alg);
      const key = await rotateSigningKey(cli.store, await cli.secretBox(), cli.clock, { alg });
      cli.print({ kid: key.kid, alg: key.alg, signs_from: key.signsFrom }, `new ${key.alg} key ${key.kid}: published now, signs from ${key.signsFrom}`);
    }),
  );
}
