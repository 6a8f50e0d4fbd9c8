import { Command, CommanderError } from 'commander';
import { ConfigError, UserError, WeakPassword } from '../core/errors.ts';
import { aclCommand } from './commands/acl.ts';
import { applyCommand } from './commands/apply.ts';
import { auditCommand } from './commands/audit.ts';
import { clientCommand } from './commands/client.ts';
import { demoUpstreamCommand } from './commands/demo-upstream.ts';
import { directoryCommand } from './commands/directory.ts';
import { groupCommand } from './commands/group.ts';
import { migrateCommand } from './commands/migrate.ts';
import { scopeCommand } from './commands/scope.ts';
import { serveCommand } from './commands/serve.ts';
import { serviceCommand } from './commands/service.ts';
import { keysCommand } from './commands/keys.ts';
import { tokenCommand } from './commands/token.ts';
import { userCommand } from './commands/user.ts';
import { UsageError } from './context.ts';

/** Exit statuses (docs/cli.md): 0 success, 1 a user error, 2 a usage error. */
const EXIT_USER_ERROR = 1;
const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('portcullis')
    .description('OAuth 2.0 authorization server for the password grant, safe by default')
    .version('0.1.0')
    // Root options only before the subcommand, so that `client create --version 1.0` reaches the subcommand.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  serveCommand(program);
  migrateCommand(program);
  applyCommand(program);
  clientCommand(program);
  userCommand(program);
  groupCommand(program);
  scopeCommand(program);
  tokenCommand(program);
  keysCommand(program);
  auditCommand(program);
  serviceCommand(program);
  aclCommand(program);
  directoryCommand(program);
  demoUpstreamCommand(program);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`portcullis: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UserError || error instanceof ConfigError) {
      process.stderr.write(`portcullis: ${error.message}\n`);
      // A password the policy refuses is a bad argument, not a failed operation.
      return error instanceof WeakPassword ? EXIT_USAGE : EXIT_USER_ERROR;
    }
    process.stderr.write(`portcullis: unexpected failure: ${(error as Error).message}\n`);
    return EXIT_USER_ERROR;
  }
}
