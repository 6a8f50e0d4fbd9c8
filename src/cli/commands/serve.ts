import cluster from 'node:cluster';
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { logReady, serveInstance } from '../serve/instance.ts';
import { runPrimary } from '../serve/primary.ts';
import { runWorker } from '../serve/worker.ts';
import { WORKER_NUMBER_ENV } from '../serve/worker-messages.ts';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the authorization server')
    .option('--port <port>', 'TCP port (default 5555)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--config <file>', 'configuration file (default ./portcullis.yaml when present)')
    .option('--db <path>', 'SQLite database file (default ./data/portcullis.db)')
    .option('--database-url <url>', 'PostgreSQL URL')
    .option('--issuer <url>', 'issuer URL published in the metadata')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this private key (PEM)')
    .option('--trusted-proxies <list>', 'reverse proxies whose X-Forwarded-* headers are believed (IPs or CIDRs)')
    .option('--workers <count>', 'processes serving the port: a number, or auto for one per core (default 1)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action(async (options: Record<string, string | undefined>) => {
      const config = loadConfig(options);
      // A forked worker runs this same command line; the primary told it its number.
      if (cluster.isWorker) return runWorker(config, Number(process.env[WORKER_NUMBER_ENV]));
      if (config.workers > 1) return runPrimary(config);
      const app = await serveInstance(config);
      logReady(app, config);
      app.logger.info({ issuer: config.issuer, store: app.store.kind }, 'portcullis is ready');
    });
}
