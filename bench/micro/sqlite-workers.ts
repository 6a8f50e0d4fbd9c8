import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/core/clock.ts';
import type { TokenFamily, TokenRecord } from '../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { option } from '../lib/micro.ts';

/**
 * The store's share of `serve --workers`' cost on SQLite writes: 1 and then 2 processes (in turns,
 * `--rounds` times) each doing a client-credentials grant's store work on one file (the client
 * lookup after a new request, then the token write), `--group` grants at a time, as the workers of
 * `serve` do; the first process runs the checkpoint thread, as worker 1 does (`--thread no`: none
 * does, each connection checkpoints by itself). Prints each
 * process's CPU per grant, the bytes it read per grant through read() (pages re-read after the
 * other process's commits), and the largest WAL seen. `--pragma P` sets a pragma on every
 * connection (`"mmap_size = 268435456"`). `--writers one` adds a third case, 2 processes of which
 * only the first writes: the second reads as before but hands its token writes to the first over a
 * Unix socket (one line of JSON per turn of its event loop each way, answered after the commit), so
 * that no process ever finds another's commit before its own write. The writer's measured window
 * starts after both warm-ups and ends when the other is done, so it holds every write it made for
 * the other (the figure per process is its CPU over its own grants; their mean is the cost per grant). Usage:
 *   tsx bench/micro/sqlite-workers.ts [--grants 20000] [--group 8] [--rounds 2] [--pragma P] [--thread no] [--writers one]
 */

const grants = Number(option('grants', '20000'));
const group = Number(option('group', '8'));
const rounds = Number(option('rounds', '2'));
const pragma = option('pragma', '');
const thread = option('thread', 'yes') === 'yes';
const oneWriter = option('writers', 'both') === 'one';
const WARMUP = 3000;

interface Report {
  cpu: number;
  user: number;
  system: number;
  readBytes: number;
}

type Save = [TokenFamily, TokenRecord[]];

/** Newline-delimited JSON over a socket. */
function lines(socket: Socket, onLine: (line: string) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
    }
  });
}

/**
 * The writing process's side: each line is a turn's writes, answered with one line once all are
 * committed. `warm` and `done` lines are the other process's: its warm-up is over (the writer
 * answers `go` when it starts measuring, so that its window holds the other's), its grants are done.
 */
async function serveWrites(socketPath: string, store: SqliteStore): Promise<{ warm: Promise<Socket>; done: Promise<void> }> {
  let otherWarm: (socket: Socket) => void;
  let otherDone: () => void;
  const warm = new Promise<Socket>((resolve) => (otherWarm = resolve));
  const done = new Promise<void>((resolve) => (otherDone = resolve));
  const server = createServer((socket) => {
    lines(socket, (line) => {
      if (line === 'warm') return otherWarm(socket);
      if (line === 'done') return otherDone();
      const { id, saves } = JSON.parse(line) as { id: number; saves: Save[] };
      void Promise.allSettled(saves.map(([family, tokens]) => store.saveFamily(family, tokens))).then((outcomes) => {
        socket.write(`${JSON.stringify({ id, failed: outcomes.map((o) => o.status === 'rejected') })}\n`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, () => resolve()));
  return { warm, done };
}

/** The reading process's side: the writes of one turn go in one line; each settles with the answer. */
async function remoteWrites(
  socketPath: string,
): Promise<{ save: (family: TokenFamily, tokens: TokenRecord[]) => Promise<void>; warm: () => Promise<void>; done: () => void }> {
  let socket: Socket | undefined;
  for (let attempt = 0; !socket; attempt++) {
    socket = await new Promise<Socket | undefined>((resolve) => {
      const connection = createConnection(socketPath, () => resolve(connection));
      connection.once('error', () => resolve(undefined));
    });
    if (!socket) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }[]>();
  let queued: Save[] = [];
  let settle: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let next = 0;
  let go: () => void = () => undefined;
  lines(socket, (line) => {
    if (line === 'go') return go();
    const { id, failed } = JSON.parse(line) as { id: number; failed: boolean[] };
    const pending = waiting.get(id)!;
    waiting.delete(id);
    pending.forEach((p, index) => (failed[index] ? p.reject(new Error('write failed')) : p.resolve()));
  });
  const connected = socket;
  const save = (family: TokenFamily, tokens: TokenRecord[]) =>
    new Promise<void>((resolve, reject) => {
      queued.push([family, tokens]);
      settle.push({ resolve, reject });
      if (queued.length === 1) {
        setImmediate(() => {
          const id = next++;
          waiting.set(id, settle);
          connected.write(`${JSON.stringify({ id, saves: queued })}\n`);
          queued = [];
          settle = [];
        });
      }
    });
  const warm = () =>
    new Promise<void>((resolve) => {
      go = resolve;
      connected.write('warm\n');
    });
  return { save, warm, done: () => connected.end('done\n') };
}

/** One process's share: warm up, then `grants` grants measured. */
async function writer(path: string, clientId: string, checkpointThread: boolean, role: 'alone' | 'writer' | 'reader'): Promise<Report> {
  const store = new SqliteStore(path, { backgroundCheckpoint: checkpointThread });
  await store.migrate();
  // The bench may reach past the seam: only to set a pragma for the comparison.
  if (pragma) (store as unknown as { db: { pragma(text: string): unknown } }).db.pragma(pragma);
  const socketPath = `${path}.sock`;
  const other = role === 'writer' ? await serveWrites(socketPath, store) : undefined;
  const remote = role === 'reader' ? await remoteWrites(socketPath) : undefined;
  const save = remote ? remote.save : (family: TokenFamily, tokens: TokenRecord[]) => store.saveFamily(family, tokens);
  const grant = async () => {
    store.startRequest();
    await store.findClient(clientId);
    const familyId = randomUUID();
    const now = systemClock.nowSeconds();
    const token: TokenRecord = { hash: hashSecret(generateSecret()), kind: 'access', familyId, clientId, username: null, scope: [], issuedAt: now, expiresAt: now + 3600, revokedAt: null, rotatedAt: null };
    await save({ id: familyId, clientId, username: null, scope: [], refreshCount: 0, createdAt: now, revokedAt: null }, [token]);
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
  // The writer's window holds the other's: it starts first, once both are warm, and ends last.
  await remote?.warm();
  const otherWarm = await other?.warm;
  const read = bytesRead();
  const cpu = process.cpuUsage();
  otherWarm?.write('go\n');
  await run(grants);
  remote?.done();
  await other?.done;
  const used = process.cpuUsage(cpu);
  const report = { cpu: (used.user + used.system) / grants, user: used.user / grants, system: used.system / grants, readBytes: (bytesRead() - read) / grants };
  await store.close();
  return report;
}

if (process.argv[2] === 'writer') {
  const [path, clientId, runsThread, role] = process.argv.slice(3);
  process.stdout.write(JSON.stringify(await writer(path!, clientId!, runsThread === '1', role as 'alone' | 'writer' | 'reader')));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-micro-workers-'));
const totals = new Map<string, number[]>();
const cases: ('1' | '2' | '2, one writer')[] = oneWriter ? ['1', '2', '2, one writer'] : ['1', '2'];
try {
  for (let round = 0; round < rounds; round++) {
    for (const name of cases) {
      const processes = name === '1' ? 1 : 2;
      const path = join(dir, `r${round}-c${cases.indexOf(name)}.db`);
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
          const role = name === '2, one writer' ? (index === 0 ? 'writer' : 'reader') : 'alone';
          const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'writer', path, client.id, index === 0 && thread ? '1' : '0', role, ...process.argv.slice(2)], {
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
      totals.set(name, [...(totals.get(name) ?? []), mean]);
      const each = reports.map((r) => `${r.cpu.toFixed(1)} µs CPU (${r.user.toFixed(1)} user, ${r.system.toFixed(1)} system), ${(r.readBytes / 1024).toFixed(1)} KiB read`).join(' | ');
      console.log(`round ${round + 1}, ${name} process(es)${pragma ? `, ${pragma}` : ''}: ${each}; largest WAL ${(largestWal / 1e6).toFixed(0)} MB; load ${loadavg()[0]!.toFixed(1)}`);
    }
  }
  for (const [processes, values] of totals) {
    console.log(`${processes} process(es): ${(values.reduce((a, b) => a + b, 0) / values.length).toFixed(1)} µs CPU per grant (${values.map((v) => v.toFixed(1)).join(', ')})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
