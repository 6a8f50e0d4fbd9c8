import { readFileSync } from 'node:fs';
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

/** Resident set size of another process, in bytes (Linux). */
function serverRss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(kb?.[1] ?? 0) * 1024;
}

/** CPU time (user + system, all threads) of another process so far, in µs (Linux clock ticks of 10 ms). */
function serverCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

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
            send({ type: 'reply', id: message.id, value: target.pid === undefined ? process.memoryUsage.rss() : serverRss(target.pid) });
            break;
          case 'cpu': {
            // User + system time of every thread of the process (event loop and thread pool), µs.
            const usage = process.cpuUsage();
            send({ type: 'reply', id: message.id, value: target.pid === undefined ? usage.user + usage.system : serverCpu(target.pid) });
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
  send({ type: 'ready', port: target.port, pid: target.pid ?? process.pid, info: target.info });
}

main().catch((error: unknown) => {
  send({ type: 'failed', error: (error as Error).stack ?? String(error) });
  process.exit(1);
});
