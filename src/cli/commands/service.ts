import type { Command } from 'commander';
import { deleteService, describeService, listServices, saveService } from '../../manage/services.ts';
import { type DataOptions, splitCsv, table, takesEffect, withDataOptions, withStore } from '../context.ts';

export function serviceCommand(program: Command): void {
  const service = program.command('service').description('manage protected services (the gateway at /invoke and /rest)');

  withDataOptions(
    service
      .command('create')
      .description('create or replace a service')
      .requiredOption('--name <name>', 'service name, folder.sub:svc')
      .requiredOption('--upstream <url>', 'http(s) URL the gateway forwards to')
      .option('--method <list>', 'HTTP methods accepted at /invoke, comma-separated (default any)')
      .option('--templates <list>', "URL templates under /rest, comma-separated: 'GET /rest/orders/{id},* /rest/orders/**'"),
  ).action(async (options: DataOptions & { name: string; upstream: string; method?: string; templates?: string }) =>
    withStore(options, async (cli) => {
      const saved = await saveService(cli.store, cli.clock, {
        name: options.name,
        upstream: options.upstream,
        methods: splitCsv(options.method),
        templates: splitCsv(options.templates),
      });
      cli.print(describeService(saved), `saved service ${saved.name} -> ${saved.upstream}\n${takesEffect(cli)}`);
    }),
  );

  withDataOptions(service.command('list').description('list services')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      const services = (await listServices(cli.store)).map(describeService);
      cli.print(services, table(services, ['name', 'upstream', 'methods', 'templates']));
    }),
  );

  withDataOptions(service.command('delete').description('delete a service').requiredOption('--name <name>', 'service name')).action(
    async (options: DataOptions & { name: string }) =>
      withStore(options, async (cli) => {
        await deleteService(cli.store, options.name, cli.clock);
        cli.print({ name: options.name, deleted: true }, `deleted service ${options.name}\n${takesEffect(cli)}`);
      }),
  );
}
