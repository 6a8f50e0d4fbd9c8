import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/core/clock.ts';
import type { TokenRecord } from '../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

/**
 * The store's share of `serve --workers`' cost on SQLite writes: 1 and then 2 processes (in turns,
 * `--rounds` times) each doing a client-credentials grant's store work on one file (the client
 * lookup after a new request, then the token write), `--group` grants at a time, as the workers of
 * `serve` do; the first process runs the checkpoint thread, as worker 1 does (`--thread no`: none
 * does, each connection checkpoints by itself). Prints each
 * process's CPU per grant, the bytes it read per grant through read() (pages re-read after the
 * other process's commits), and the largest WAL seen. `--pragma P` sets a pragma on every
 * connection (`"mmap_size = 268435456"`). Usage:
 *   tsx bench/micro/sqlite-workers.ts [--grants 20000] [--group 8] [--rounds 2] [--pragma P] [--thread no]
 */
function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
}

const grants = Number(option('grants', '20000'));
const group = Number(option('group', '8'));
const rounds = Number(option('rounds', '2'));
const pragma = option('pragma', '');
const thread = option('thread', 'yes') === 'yes';
const WARMUP = 3000;

interface Report {
  cpu: number;
  user: number;
  system: number;
  readBytes: number;
}

/** One process's share: warm up, then `grants` grants measured. */
async function writer(path: string, clientId: string, checkpointThread: boolean): Promise<Report> {
  const store = new SqliteStore(path, { backgroundCheckpoint: checkpointThread });
  await store.migrate();
  // The bench may reach past the seam: only to set a pragma for the comparison.
  if (pragma) (store as unknown as { db: { pragma(text: string): unknown } }).db.pragma(pragma);
  const grant = async () => {
    store.startRequest();
    await store.findClient(clientId);
    const familyId = randomUUID();
    const now = systemClock.nowSeconds();
    const token: TokenRecord = { hash: hashSecret(generateSecret()), kind: 'access', familyId, clientId, username: null, scope: [], issuedAt: now, expiresAt: now + 3600, revokedAt: null, rotatedAt: null };
    await store.saveFamily({ id: familyId, clientId, username: null, scope: [], refreshCount: 0, createdAt: now, revokedAt: null }, [token]);
  };
  const run = async (count: number) => {
    for (let done = 0; done < count; done += group) {
      await Promise.all(Array.from({ length: group }, grant));
      // A turn of the event loop between groups, as a server has (and the checkpoint thread's messages need).
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const bytesRead = () => Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
  await run(WARMUP);
  const read = bytesRead();
  const cpu = process.cpuUsage();
  await run(grants);
  const used = process.cpuUsage(cpu);
  const report = { cpu: (used.user + used.system) / grants, user: used.user / grants, system: used.system / grants, readBytes: (bytesRead() - read) / grants };
  await store.close();
  return report;
}

if (process.argv[2] === 'writer') {
  const [path, clientId, runsThread] = process.argv.slice(3);
  process.stdout.write(JSON.stringify(await writer(path!, clientId!, runsThread === '1')));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-micro-workers-'));
const totals = new Map<number, number[]>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const processes of [1, 2]) {
      const path = join(dir, `r${round}-p${processes}.db`);
      const seed = new SqliteStore(path);
      await seed.migrate();
      const { client } = await registerClient(seed, systemClock, { name: 'micro', type: 'confidential', grants: ['client_credentials'] });
      await seed.close();
      let largestWal = 0;
      const sampler = setInterval(() => {
        try {
          largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
        } catch {
          // No WAL yet.
        }
      }, 50);
      const reports = await Promise.all(
        Array.from({ length: processes }, (_, index) => {
          const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'writer', path, client.id, index === 0 && thread ? '1' : '0', ...process.argv.slice(2)], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.setEncoding('utf8');
          child.stdout.on('data', (chunk: string) => (out += chunk));
          return new Promise<Report>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Report) : reject(new Error(`writer exited with ${code}`)))));
        }),
      );
      clearInterval(sampler);
      const mean = reports.reduce((sum, report) => sum + report.cpu, 0) / processes;
      totals.set(processes, [...(totals.get(processes) ?? []), mean]);
      const each = reports.map((r) => `${r.cpu.toFixed(1)} µs CPU (${r.user.toFixed(1)} user, ${r.system.toFixed(1)} system), ${(r.readBytes / 1024).toFixed(1)} KiB read`).join(' | ');
      console.log(`round ${round + 1}, ${processes} process(es)${pragma ? `, ${pragma}` : ''}: ${each}; largest WAL ${(largestWal / 1e6).toFixed(0)} MB; load ${loadavg()[0]!.toFixed(1)}`);
    }
  }
  for (const [processes, values] of totals) {
    console.log(`${processes} process(es): ${(values.reduce((a, b) => a + b, 0) / values.length).toFixed(1)} µs CPU per grant (${values.map((v) => v.toFixed(1)).join(', ')})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
