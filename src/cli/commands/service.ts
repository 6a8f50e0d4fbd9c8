import type { Command } from 'commander';
import { deleteService, listServices, saveService } from '../../manage/services.ts';
import { type DataOptions, splitCsv, table, withDataOptions, withStore } from '../context.ts';

export function serviceCommand(program: Command): void {
  const service = program.command('service').description('manage protected services (the gateway at /invoke and /rest)');

  withDataOptions(
    service
      .command('create')
      .description('create or replace a service')
      .requiredOption('--name <name>', 'service name, folder.sub:svc')
      .requiredOption('--upstream <url>', 'http(s) URL the gateway forwards to')
      .option('--method <list>', 'HTTP methods accepted at /invoke, comma-separated (default any)')
      .option('--templates <list>', "URL templates under /rest, comma-separated: 'GET /rest/orders/{id},* /rest/orders/**'")
      .option('--introspect-always', 'check JWT access tokens at the store on every call too (a revocation counts at once)'),
  ).action(async (options: DataOptions & { name: string; upstream: string; method?: string; templates?: string; introspectAlways?: boolean }) =>
    withStore(options, async (cli) => {
      const saved = await saveService(cli.store, cli.clock, {
        name: options.name,
        upstream: options.upstream,
        methods: splitCsv(options.method),
        templates: splitCsv(options.templates),
        introspectAlways: options.introspectAlways === true,
      });
      cli.print(saved, `saved service ${saved.name} -> ${saved.upstream}`);
    }),
  );

  withDataOptions(service.command('list').description('list services')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      const services = await listServices(cli.store);
      cli.print(services, table(services as unknown as Record<string, unknown>[], ['name', 'upstream', 'methods', 'templates']));
    }),
  );

  withDataOptions(service.command('delete').description('delete a service').requiredOption('--name <name>', 'service name')).action(
    async (options: DataOptions & { name: string }) =>
      withStore(options, async (cli) => {
        await deleteService(cli.store, options.name, cli.clock);
        cli.print({ name: options.name, deleted: true }, `deleted service ${options.name}`);
      }),
  );
}
