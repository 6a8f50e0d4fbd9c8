import type { App } from '../../app.ts';
import type { BootstrapResult } from '../../manage/bootstrap.ts';
import type { Config } from '../../config/config.ts';
import { UserError } from '../../core/errors.ts';
import { limitHeapGrowth } from './heap-growth.ts';

/** Shows the generated administrator password: written straight to the terminal, once, never through the logger. */
export function announceAdministrator(setup: BootstrapResult): void {
  if (setup.generatedPassword === undefined) return;
  process.stdout.write(
    `\nCreated the administrator account.\n  username: Administrator\n  password: ${setup.generatedPassword}\n` +
      'This password is shown only now. Set PORTCULLIS_ADMIN_PASSWORD before the first start to choose it.\n\n',
  );
}

/**
 * One serving process: the whole server with one worker (the default), or one of `--workers N`
 * (then `worker` is its number and the primary has done the first start). Resolves once it
 * listens; SIGTERM and SIGINT close it gracefully (in-flight requests finish) and exit 0.
 */
export async function serveInstance(config: Config, worker?: number): Promise<App> {
  // Loaded here, not at the top: the HTTP stack is only needed by `serve`, and importing it
  // would slow every other command down.
  const { createApp } = await import('../../app.ts');
  limitHeapGrowth();
  const app = await createApp(config, { worker });
  announceAdministrator(app.bootstrap);
  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      app.logger.info({ signal }, 'shutting down');
      await app.close();
      process.exit(0);
    })();
  };
  if (worker === undefined) {
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  } else {
    // A worker hears the signal from the primary and, under a process manager or a terminal, often
    // also directly (the whole process group gets it): a second one must not cut the first short.
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    // The primary is gone (killed): nobody restarts or stops this worker any more.
    process.on('disconnect', () => shutdown('primary gone'));
  }
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
  return app;
}

/** The start-up lines of the log, once the server (or, with workers, all of them) listens. */
export function logReady(app: Pick<App, 'logger' | 'ctx' | 'store'>, config: Config): void {
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
}
