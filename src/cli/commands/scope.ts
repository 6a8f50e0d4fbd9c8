import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { deleteScope, saveScope } from '../../manage/scopes.ts';
import { type DataOptions, splitCsv, table, withDataOptions, withStore } from '../context.ts';

export function scopeCommand(program: Command): void {
  const scope = program.command('scope').description('manage scopes and the resources they cover');

  withDataOptions(
    scope
      .command('create')
      .description('create or replace a scope')
      .requiredOption('--name <name>', 'scope name')
      .option('--description <text>', 'description', '')
      .option('--resources <list>', "folders, services and URL templates, comma-separated: orders,orders.v1:getOrder,'GET /rest/orders/{id}'", '')
      .option('--public', 'list it in the metadata\'s scopes_supported (default: not listed)', false),
  ).action(async (options: DataOptions & { name: string; description: string; resources: string; public: boolean }) =>
    withStore(options, async (cli) => {
      const saved = await saveScope(cli.store, {
        name: options.name,
        description: options.description,
        resources: splitCsv(options.resources) ?? [],
        public: options.public,
      });
      cli.print(saved, `saved scope ${saved.name}`);
    }),
  );

  withDataOptions(scope.command('list').description('list scopes')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      const scopes = await cli.store.listScopes();
      cli.print(scopes, table(scopes as unknown as Record<string, unknown>[], ['name', 'public', 'resources', 'description']));
    }),
  );

  withDataOptions(scope.command('show').description('show one scope').argument('<name>')).action(async (name: string, options: DataOptions) =>
    withStore(options, async (cli) => {
      const found = await cli.store.findScope(name);
      if (!found) throw new UserError(`no scope ${name}`);
      cli.print(found, `name: ${found.name}\ndescription: ${found.description}\nresources:\n${found.resources.map((r) => `  ${r}`).join('\n')}`);
    }),
  );

  withDataOptions(scope.command('delete').description('delete a scope').argument('<name>')).action(async (name: string, options: DataOptions) =>
    withStore(options, async (cli) => {
      await deleteScope(cli.store, name);
      cli.print({ name, deleted: true }, `deleted scope ${name}`);
    }),
  );
}
