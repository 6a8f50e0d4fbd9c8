import type { Command } from 'commander';
import QRCode from 'qrcode';
import { describeMfa, enrolUserMfa, resetUserMfa } from '../../manage/mfa.ts';
import { type DataOptions, withDataOptions, withStore } from '../context.ts';

/** `portcullis user mfa enroll|reset|show` (docs/mfa.md, docs/cli.md). */
export function userMfaCommand(user: Command): void {
  const mfa = user.command('mfa').description("a user's second factor (TOTP and recovery codes)");

  withDataOptions(
    mfa
      .command('enroll')
      .description('enrol a TOTP factor for a user; prints the otpauth URI, a QR code and ten recovery codes, once')
      .requiredOption('--username <name>', 'username')
      .option('--issuer <name>', 'the server as authenticator apps name it', 'Portcullis'),
  ).action(async (options: DataOptions & { username: string; issuer: string; json?: boolean }) =>
    withStore(options, async (cli) => {
      const enrolment = await enrolUserMfa(cli.store, await cli.secretBox(), options.username, options.issuer, cli.clock);
      const qr = await QRCode.toString(enrolment.uri, { type: 'terminal', small: true });
      cli.print(
        { username: options.username, secret: enrolment.secret, otpauth_uri: enrolment.uri, recovery_codes: enrolment.recoveryCodes },
        [
          `enrolled a TOTP factor for ${options.username}; scan the code with an authenticator app:`,
          '',
          qr,
          enrolment.uri,
          '',
          'recovery codes (each works once; shown only now):',
          ...enrolment.recoveryCodes.map((code) => `  ${code}`),
        ].join('\n'),
      );
    }),
  );

  withDataOptions(
    mfa
      .command('reset')
      .description("remove a user's second factor and recovery codes (a lost phone)")
      .requiredOption('--username <name>', 'username'),
  ).action(async (options: DataOptions & { username: string }) =>
    withStore(options, async (cli) => {
      await resetUserMfa(cli.store, options.username, cli.clock);
      cli.print({ username: options.username, reset: true }, `removed the second factor of ${options.username}`);
    }),
  );

  withDataOptions(mfa.command('show').description("whether a user has a second factor, and how many recovery codes are left").requiredOption('--username <name>', 'username')).action(
    async (options: DataOptions & { username: string }) =>
      withStore(options, async (cli) => {
        const shown = await describeMfa(cli.store, options.username);
        cli.print(shown, Object.entries(shown).map(([key, value]) => `${key}: ${String(value)}`).join('\n'));
      }),
  );
}
