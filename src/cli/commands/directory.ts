import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { systemClock } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import { checkDirectory, type DirectoryReport } from '../../directory/directory-check.ts';
import { describeDirectoryConfig } from '../../directory/directory-config.ts';
import { LdapDirectory } from '../../directory/ldap-directory.ts';
import { type DataOptions, readPasswordFromStdin, withDataOptions, withStore } from '../context.ts';

function human(report: DirectoryReport): string {
  const lines = report.steps.map((step) => `${step.ok ? 'ok  ' : 'FAIL'}  ${step.step}: ${step.detail}`);
  if (report.user) lines.push(`user ${report.user.username}: groups ${report.user.groups.join(', ') || '(none)'}`);
  return lines.join('\n');
}

export function directoryCommand(program: Command): void {
  const directory = program.command('directory').description('the LDAP or Active Directory server users come from (docs/directory.md)');

  withDataOptions(
    directory
      .command('test')
      .description('check the directory settings: connection, service bind, search, and optionally one user\'s bind and groups')
      .option('--username <name>', 'also search for this user and show their groups')
      .option('--password-stdin', 'also check the user\'s password, read from standard input'),
  ).action(async (options: DataOptions & { username?: string; passwordStdin?: boolean }) => {
    const config = loadConfig({ db: options.db, databaseUrl: options.databaseUrl, config: options.config });
    if (config.directory === undefined) throw new UserError('no directory is configured: set directory.urls and directory.user_base (docs/directory.md)');
    if (options.passwordStdin && options.username === undefined) throw new UserError('--password-stdin needs --username');
    const password = options.passwordStdin ? await readPasswordFromStdin() : undefined;
    await withStore(options, async (cli) => {
      const ca = config.directory!.caFile === undefined ? undefined : readFileSync(config.directory!.caFile, 'utf8');
      const ldap = new LdapDirectory(config.directory!, { clock: systemClock, ...(ca !== undefined ? { ca } : {}) });
      try {
        const locals = (await cli.store.listUsers()).filter((user) => user.directory === undefined).map((user) => user.username);
        const report = await checkDirectory(ldap, {
          ...(options.username !== undefined ? { username: options.username } : {}),
          ...(password !== undefined ? { password } : {}),
          localUsernames: locals,
        });
        cli.print({ ...report, settings: describeDirectoryConfig(config.directory!) }, human(report));
        if (!report.ok) throw new UserError(`directory test: ${report.steps.filter((step) => !step.ok).length} step(s) failed`);
      } finally {
        ldap.close();
      }
    });
  });
}
