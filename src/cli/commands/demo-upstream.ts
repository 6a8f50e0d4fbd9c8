import { createServer } from 'node:http';
import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';

/**
 * A tiny upstream for trying the gateway (README, "Protecting services"): it answers every request
 * with what the gateway told it — the caller's user, client and scope from the `X-Portcullis-*`
 * headers — as JSON. Not for production: it trusts those headers, as an upstream behind the gateway does.
 */
export function demoUpstreamCommand(program: Command): void {
  program
    .command('demo-upstream')
    .description('run a tiny echo service to try the gateway with (answers who called, as JSON)')
    .option('--port <port>', 'TCP port', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (options: { port: string; host: string }) => {
      const port = Number(options.port);
      if (!/^\d+$/.test(options.port) || port > 65535) throw new UserError('--port must be an integer from 0 to 65535');
      const server = createServer((request, response) => {
        // Drain the body first; the answer does not echo it.
        request.resume();
        request.on('end', () => {
          const header = (name: string) => request.headers[name] ?? null;
          response.setHeader('content-type', 'application/json');
          response.end(
            `${JSON.stringify({
              service: 'demo-upstream',
              method: request.method,
              path: request.url,
              user: header('x-portcullis-user'),
              client: header('x-portcullis-client'),
              scope: header('x-portcullis-scope'),
            })}\n`,
          );
        });
      });
      await new Promise<void>((listening, failed) => {
        server.once('error', (error: NodeJS.ErrnoException) =>
          failed(error.code === 'EADDRINUSE' ? new UserError(`cannot listen on ${options.host}:${port}: the port is already in use`) : error),
        );
        server.listen(port, options.host, listening);
      });
      process.stdout.write(`demo upstream listening on http://${options.host}:${port}\n`);
      const stop = () => server.close(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Never resolves: the command runs until a signal ends the process.
      await new Promise<never>(() => undefined);
    });
}
