import type { FromChild, TargetStarter, ToChild } from '../lib/target.ts';

/**
 * Entry point of a target child process: `child.ts <target> <options-json>`. Starts the target,
 * reports its port over IPC, then answers the runner's requests until told to stop. Each target
 * module is imported only in its own child, so no process carries another's code.
 */
const modules: Record<string, () => Promise<{ start: TargetStarter }>> = {
  portcullis: () => import('./portcullis.ts'),
  'empty-fastify': () => import('./empty-fastify.ts'),
  'oauth2-server': () => import('./oauth2-server.ts'),
  'oidc-provider': () => import('./oidc-provider.ts'),
  'raw-argon2': () => import('./raw-argon2.ts'),
};

function send(message: FromChild): void {
  process.send!(message);
}

async function main(): Promise<void> {
  const [name, optionsJson] = process.argv.slice(2);
  const load = modules[name ?? ''];
  if (!load) throw new Error(`unknown target ${name}`);
  const target = await (await load()).start(JSON.parse(optionsJson ?? '{}') as Record<string, unknown>);
  process.on('message', (message: ToChild) => {
    void (async () => {
      try {
        switch (message.type) {
          case 'rss':
            send({ type: 'reply', id: message.id, value: process.memoryUsage.rss() });
            break;
          case 'cpu': {
            // User + system time of every thread of the process (event loop and thread pool), µs.
            const usage = process.cpuUsage();
            send({ type: 'reply', id: message.id, value: usage.user + usage.system });
            break;
          }
          case 'call': {
            const method = target.rpc?.[message.method];
            if (!method) throw new Error(`target ${name} has no operation ${message.method}`);
            send({ type: 'reply', id: message.id, value: await method(message.argument) });
            break;
          }
          case 'stop':
            await target.close();
            send({ type: 'reply', id: message.id });
            // A normal exit, so that --cpu-prof writes its profile.
            process.disconnect();
            process.exitCode = 0;
            setTimeout(() => process.exit(0), 200).unref();
            break;
        }
      } catch (error) {
        send({ type: 'reply', id: message.id, error: (error as Error).stack ?? String(error) });
      }
    })();
  });
  send({ type: 'ready', port: target.port, info: target.info });
}

main().catch((error: unknown) => {
  send({ type: 'failed', error: (error as Error).stack ?? String(error) });
  process.exit(1);
});
