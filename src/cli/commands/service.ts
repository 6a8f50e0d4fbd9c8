import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { deleteService, describeService, listServices, saveService } from '../../manage/services.ts';
import { type DataOptions, splitCsv, table, takesEffect, withDataOptions, withStore } from '../context.ts';

interface ServiceOptions {
  name: string;
  method?: string;
  templates?: string;
  maxConcurrent?: string;
  timeoutMs?: string;
  introspectAlways?: boolean;
}

/** A whole-number option; `default` (when allowed) clears it back to the instance's default. */
function whole(value: string | undefined, flag: string, allowDefault = false): number | null | undefined {
  if (value === undefined) return undefined;
  if (allowDefault && value === 'default') return null;
  if (!/^\d+$/.test(value)) throw new UserError(`--${flag} must be a whole number${allowDefault ? ' or "default"' : ''}`, 'invalid_request');
  return Number(value);
}

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
      .option('--max-concurrent <n>', 'calls in flight at once per gateway instance, then 503 (default resource_server.max_concurrent_per_service)')
      .option('--timeout-ms <ms>', "milliseconds to wait for the upstream's headers, then 504 (default resource_server.upstream_timeout_ms)")
      .option('--introspect-always', 'check JWT access tokens at the store on every call too (a revocation counts at once)'),
  ).action(async (options: DataOptions & ServiceOptions & { upstream: string }) =>
    withStore(options, async (cli) => {
      const saved = await saveService(cli.store, cli.clock, {
        name: options.name,
        upstream: options.upstream,
        methods: splitCsv(options.method),
        templates: splitCsv(options.templates),
        maxConcurrent: whole(options.maxConcurrent, 'max-concurrent'),
        timeoutMs: whole(options.timeoutMs, 'timeout-ms'),
        introspectAlways: options.introspectAlways === true,
      });
      cli.print(describeService(saved), `saved service ${saved.name} -> ${saved.upstream}\n${takesEffect(cli)}`);
    }),
  );

  withDataOptions(
    service
      .command('update')
      .description('change some of a service\'s settings, keeping the others')
      .requiredOption('--name <name>', 'service name')
      .option('--upstream <url>', 'http(s) URL the gateway forwards to')
      .option('--method <list>', 'HTTP methods accepted at /invoke, comma-separated ("" for any)')
      .option('--templates <list>', 'URL templates under /rest, comma-separated ("" for none)')
      .option('--max-concurrent <n>', 'calls in flight at once per gateway instance ("default" for the instance\'s)')
      .option('--timeout-ms <ms>', 'milliseconds to wait for the upstream\'s headers ("default" for the instance\'s)')
      .option('--introspect-always', 'check JWT access tokens at the store on every call too (a revocation counts at once)')
      .option('--no-introspect-always', 'trust a JWT access token\'s signature until it expires'),
  ).action(async (options: DataOptions & ServiceOptions & { upstream?: string }) =>
    withStore(options, async (cli) => {
      const existing = await cli.store.findService(options.name);
      if (!existing) throw new UserError(`no service ${options.name}`, 'not_found');
      const saved = await saveService(cli.store, cli.clock, {
        name: existing.name,
        upstream: options.upstream ?? existing.upstream,
        methods: options.method === undefined ? existing.methods : (splitCsv(options.method) ?? []),
        templates: options.templates === undefined ? existing.templates : (splitCsv(options.templates) ?? []),
        maxConcurrent: options.maxConcurrent === undefined ? existing.maxConcurrent : whole(options.maxConcurrent, 'max-concurrent', true),
        timeoutMs: options.timeoutMs === undefined ? existing.timeoutMs : whole(options.timeoutMs, 'timeout-ms', true),
        introspectAlways: options.introspectAlways ?? existing.introspectAlways === true,
      });
      cli.print(describeService(saved), `updated service ${saved.name}\n${takesEffect(cli)}`);
    }),
  );

  withDataOptions(service.command('list').description('list services')).action(async (options: DataOptions) =>
    withStore(options, async (cli) => {
      const services = (await listServices(cli.store)).map(describeService);
      cli.print(services, table(services, ['name', 'upstream', 'methods', 'templates', 'max_concurrent', 'timeout_ms', 'introspect_always']));
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
