import type { Command } from 'commander';
import { createGroup, deleteGroup } from '../../manage/groups.ts';
import { type DataOptions, withDataOptions, withStore } from '../context.ts';

export function groupCommand(program: Command): void {
  const group = program.command('group').description('manage groups');

  withDataOptions(group.command('create').description('create a group').requiredOption('--name <name>', 'group name')).action(
    async (options: DataOptions & { name: string }) =>
      withStore(options, async (cli) => {
        await createGroup(cli.store, options.name);
        cli.print({ name: options.name }, `created group ${options.name}`);
      }),
  );

  withDataOptions(group.command('list').description('list groups')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      const groups = await cli.store.listGroups();
      cli.print(groups, groups.join('\n'));
    }),
  );

  withDataOptions(group.command('delete').description('delete a group').requiredOption('--name <name>', 'group name')).action(
    async (options: DataOptions & { name: string }) =>
      withStore(options, async (cli) => {
        await deleteGroup(cli.store, options.name);
        cli.print({ name: options.name, deleted: true }, `deleted group ${options.name}`);
      }),
  );
}
