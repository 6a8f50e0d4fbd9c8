import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { UserError } from '../../core/errors.ts';

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
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action(async (options: Record<string, string | undefined>) => {
      const config = loadConfig(options);
      // Loaded here, not at the top: the HTTP stack is only needed by `serve`, and importing it
      // would slow every other command down.
      const { createApp } = await import('../../app.ts');
      const app = await createApp(config);
      if (app.bootstrap.generatedPassword !== undefined) {
        // Written straight to the terminal, once, never through the logger.
        process.stdout.write(
          `\nCreated the administrator account.\n  username: Administrator\n  password: ${app.bootstrap.generatedPassword}\n` +
            'This password is shown only now. Set PORTCULLIS_ADMIN_PASSWORD before the first start to choose it.\n\n',
        );
      }
      const shutdown = async (signal: string) => {
        app.logger.info({ signal }, 'shutting down');
        await app.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      try {
        await app.server.listen({ port: config.port, host: config.host });
      } catch (error) {
        await app.close();
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UserError(`cannot listen on ${config.host}:${config.port}: the port is already in use`);
        if (code === 'EACCES') throw new UserError(`cannot listen on ${config.host}:${config.port}: permission denied`);
        if (code === 'EADDRNOTAVAIL') throw new UserError(`cannot listen on ${config.host}:${config.port}: no such address on this machine`);
        throw error;
      }
      if (!app.ctx.issuer.startsWith('https:') && /^https?:\/\/(0\.0\.0\.0|\[::\])(:|\/|$)/.test(app.ctx.issuer)) {
        // Listening on every address is fine; publishing it as the issuer is not: clients cannot call 0.0.0.0.
        app.logger.warn(
          { issuer: app.ctx.issuer },
          'the issuer is a listen-everywhere address that clients cannot reach; set issuer (PORTCULLIS_ISSUER, --issuer) to the URL clients use',
        );
      }
      if (config.resourceServer.introspection) {
        app.logger.info({ introspection: config.resourceServer.introspection.url }, 'resource server only: /oauth and /admin are served by the authorization server');
      }
      app.logger.info({ issuer: config.issuer, store: app.store.kind }, 'portcullis is ready');
    });
}
