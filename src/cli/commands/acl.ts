import type { Command } from 'commander';
import { deleteAcl, listAcls, setAcl } from '../../manage/acls.ts';
import { type DataOptions, splitCsv, table, takesEffect, withDataOptions, withStore } from '../context.ts';

export function aclCommand(program: Command): void {
  const acl = program.command('acl').description('manage ACLs on folders and services (deny wins; nearest up the folder chain applies)');

  withDataOptions(
    acl
      .command('set')
      .description('set (replace) the ACL of a folder or service')
      .requiredOption('--resource <name>', 'folder (orders.v1) or service (orders.v1:getOrder)')
      .option('--allow <groups>', 'allowed groups, comma-separated', '')
      .option('--deny <groups>', 'denied groups, comma-separated', ''),
  ).action(async (options: DataOptions & { resource: string; allow: string; deny: string }) =>
    withStore(options, async (cli) => {
      const saved = await setAcl(cli.store, {
        resource: options.resource,
        allow: splitCsv(options.allow) ?? [],
        deny: splitCsv(options.deny) ?? [],
      }, cli.clock);
      cli.print(saved, `set ACL on ${saved.resource}: allow ${saved.allow.join(',') || '(none)'}; deny ${saved.deny.join(',') || '(none)'}\n${takesEffect(cli)}`);
    }),
  );

  withDataOptions(acl.command('list').description('list ACLs')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      const acls = await listAcls(cli.store);
      cli.print(acls, table(acls as unknown as Record<string, unknown>[], ['resource', 'allow', 'deny']));
    }),
  );

  withDataOptions(
    acl.command('delete').description('delete the ACL of a folder or service').requiredOption('--resource <name>', 'folder or service'),
  ).action(async (options: DataOptions & { resource: string }) =>
    withStore(options, async (cli) => {
      await deleteAcl(cli.store, options.resource, cli.clock);
      cli.print({ resource: options.resource, deleted: true }, `deleted ACL on ${options.resource}\n${takesEffect(cli)}`);
    }),
  );
}
