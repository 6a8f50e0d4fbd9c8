import type { Command } from 'commander';
import { parseCount } from '../../manage/clients.ts';
import { tailAudit } from '../../manage/audit.ts';
import { type DataOptions, table, withDataOptions, withStore } from '../context.ts';

export function auditCommand(program: Command): void {
  const audit = program.command('audit').description('read the security audit log');

  withDataOptions(
    audit
      .command('tail')
      .description('show the newest audit records, oldest of them first')
      .option('--limit <n>', 'at most this many', '50'),
  ).action(async (options: DataOptions & { limit: string }) =>
    withStore(options, async (cli) => {
      const rows = await tailAudit(cli.store, parseCount('--limit', options.limit, 1));
      const human = rows.map((row) => ({ ...row, detail: row.detail === null ? null : JSON.stringify(row.detail) }));
      cli.print(rows, table(human, ['at', 'type', 'actor', 'ip', 'client_id', 'username', 'reason', 'detail']));
    }),
  );
}
