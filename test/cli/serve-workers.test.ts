import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { runCli, type ServeProcess, startServe, tempDb } from '../helpers/cli.ts';
import { TEST_PASSWORD } from '../helpers/server.ts';

interface Answer {
  status: number;
  worker: string | undefined;
  body: any;
  text: string;
}

/**
 * One keep-alive connection, hence one worker: node:cluster hands each new connection to a worker,
 * and every request on it is answered there (the `X-Portcullis-Worker` header says which).
 */
class Connection {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly url: string) {}

  send(method: string, path: string, form?: Record<string, string>, basic?: [string, string]): Promise<Answer> {
    const body = form === undefined ? undefined : new URLSearchParams(form).toString();
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
    return new Promise((resolve, reject) => {
      const sent = request(`${this.url}${path}`, { method, headers, agent: this.agent }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: response.statusCode!, worker: response.headers['x-portcullis-worker'] as string | undefined, body: parsed, text });
        });
      });
      sent.on('error', reject);
      sent.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Two connections answered by two different workers (a new connection is tried until it lands elsewhere). */
async function connectionsOnTwoWorkers(url: string): Promise<[Connection, Connection, string, string]> {
  const first = new Connection(url);
  const a = (await first.send('GET', '/healthz')).worker;
  assert.ok(a, 'answers carry X-Portcullis-Worker');
  for (let attempt = 0; attempt < 20; attempt++) {
    const second = new Connection(url);
    const b = (await second.send('GET', '/healthz')).worker;
    if (b !== a) return [first, second, a, b!];
    second.close();
  }
  throw new Error('twenty new connections all landed on the same worker');
}

/** The log lines (JSON) of a serve process's stdout. */
function logLines(serve: ServeProcess): Record<string, any>[] {
  return serve
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** The value of one series in Prometheus text, or undefined. */
function series(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((each) => each.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A confidential client with the password and refresh grants, and alice, made with the CLI. */
async function seed(store: string[], env: Record<string, string> = {}): Promise<[string, string]> {
  const created = await runCli(['client', 'create', '--name', 'app', '--type', 'confidential', '--grants', 'password,refresh_token', '--json', ...store], { env });
  assert.equal(created.code, 0, created.stderr);
  const user = await runCli(['user', 'create', '--username', 'alice', '--password-stdin', ...store], { stdin: TEST_PASSWORD, env });
  assert.equal(user.code, 0, user.stderr);
  return [created.json().client_id, created.json().client_secret];
}

/**
 * docs/deployment.md "Sizing by cores": a token issued through one worker is introspected,
 * refreshed and revoked through another (RFC 7662 §2, RFC 6749 §6, RFC 7009 §2).
 */
async function tokenAcrossWorkers(url: string, client: [string, string]): Promise<void> {
  const [a, b, workerA, workerB] = await connectionsOnTwoWorkers(url);
  try {
    const issued = await a.send('POST', '/oauth/token', { grant_type: 'password', username: 'alice', password: TEST_PASSWORD }, client);
    assert.equal(issued.status, 200, issued.text);
    assert.equal(issued.worker, workerA);

    const introspected = await b.send('POST', '/oauth/introspect', { token: issued.body.access_token }, client);
    assert.equal(introspected.worker, workerB);
    assert.equal(introspected.body.active, true, introspected.text);

    const refreshed = await b.send('POST', '/oauth/token', { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token }, client);
    assert.equal(refreshed.worker, workerB);
    assert.equal(refreshed.status, 200, refreshed.text);

    // The rotated token is dead on the worker that issued it, too.
    const replayed = await a.send('POST', '/oauth/token', { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token }, client);
    assert.equal(replayed.worker, workerA);
    assert.equal(replayed.status, 400, replayed.text);
    assert.equal(replayed.body.error, 'invalid_grant');

    // Presenting the rotated token revoked the family (docs/oauth.md); a second family is revoked explicitly.
    const second = await a.send('POST', '/oauth/token', { grant_type: 'password', username: 'alice', password: TEST_PASSWORD }, client);
    assert.equal((await b.send('POST', '/oauth/introspect', { token: second.body.access_token }, client)).body.active, true);
    const revoked = await a.send('POST', '/oauth/revoke', { token: second.body.access_token }, client);
    assert.equal(revoked.worker, workerA);
    assert.equal(revoked.status, 200);
    const after = await b.send('POST', '/oauth/introspect', { token: second.body.access_token }, client);
    assert.equal(after.worker, workerB);
    assert.deepEqual(after.body, { active: false });
    const refreshAfter = await b.send('POST', '/oauth/token', { grant_type: 'refresh_token', refresh_token: second.body.refresh_token }, client);
    assert.equal(refreshAfter.body.error, 'invalid_grant');
  } finally {
    a.close();
    b.close();
  }
}

describe('portcullis serve --workers 2 on SQLite', () => {
  const dirs: { cleanup(): void }[] = [];
  const running: ServeProcess[] = [];
  after(async () => {
    for (const serve of running) await serve.stop();
    for (const dir of dirs) dir.cleanup();
  });

  test('a token issued by one worker is introspected, refreshed and revoked by the other', async () => {
    const tmp = tempDb();
    dirs.push(tmp);
    const client = await seed(['--db', tmp.db]);
    const serve = await startServe(['--db', tmp.db, '--workers', '2'], { cwd: tmp.dir, env: { PORTCULLIS_ADMIN_PASSWORD: 'chosen-admin-password-42' } });
    running.push(serve);
    await tokenAcrossWorkers(serve.url, client);
  });

  test('the throttle counts failures made through every worker together', async () => {
    const tmp = tempDb();
    dirs.push(tmp);
    const client = await seed(['--db', tmp.db]);
    const serve = await startServe(['--db', tmp.db, '--workers', '2'], {
      cwd: tmp.dir,
      env: { PORTCULLIS_ADMIN_PASSWORD: 'chosen-admin-password-42', PORTCULLIS_THROTTLE_USER_IP_FAILURES: '4' },
    });
    running.push(serve);
    const [a, b, workerA, workerB] = await connectionsOnTwoWorkers(serve.url);
    try {
      // Two failures on each worker spend the (username, address) budget of four.
      for (const connection of [a, b, a, b]) {
        const failed = await connection.send('POST', '/oauth/token', { grant_type: 'password', username: 'alice', password: 'wrong-password' }, client);
        assert.equal(failed.status, 400, failed.text);
      }
      for (const [connection, worker] of [
        [a, workerA],
        [b, workerB],
      ] as const) {
        const refused = await connection.send('POST', '/oauth/token', { grant_type: 'password', username: 'alice', password: TEST_PASSWORD }, client);
        assert.equal(refused.worker, worker);
        assert.equal(refused.status, 429, refused.text);
        assert.equal(refused.body.error, 'too_many_attempts');
      }
    } finally {
      a.close();
      b.close();
    }
  });

  test('the first start happens once: one generated password, printed once; background jobs run in one worker; /metrics sums the workers', async () => {
    const tmp = tempDb();
    dirs.push(tmp);
    const serve = await startServe(['--db', tmp.db, '--workers', '2'], { cwd: tmp.dir, env: { PORTCULLIS_PURGE_INTERVAL: '1' } });
    running.push(serve);
    assert.equal(serve.stdout().match(/^ {2}password: /gm)?.length, 1, serve.stdout());
    const clients = await runCli(['client', 'create', '--name', 'svc', '--type', 'confidential', '--grants', 'client_credentials', '--access-ttl', '1', '--json', '--db', tmp.db]);
    const client: [string, string] = [clients.json().client_id, clients.json().client_secret];
    const [a, b] = await connectionsOnTwoWorkers(serve.url);
    try {
      for (const connection of [a, b, a, b]) {
        assert.equal((await connection.send('POST', '/oauth/token', { grant_type: 'client_credentials' }, client)).status, 200);
      }
      // Every scrape, whichever worker takes it, is the sum over both.
      for (const connection of [a, b]) {
        const scrape = await connection.send('GET', '/metrics');
        assert.equal(series(scrape.text, 'portcullis_workers'), 2, scrape.text);
        assert.equal(series(scrape.text, 'portcullis_tokens_issued_total{grant_type="client_credentials"}'), 4);
        for (const job of ['purge', 'wal_checkpoint', 'counter_sweep', 'key_rotation']) {
          assert.equal(series(scrape.text, `portcullis_background_jobs{job="${job}"}`), 1, `${job} is scheduled once`);
        }
      }
      // The tokens expire after a second; the purge (every second) deletes them, always in worker 1.
      await until('a purge of the expired tokens', () => logLines(serve).find((line) => line.msg === 'purged expired and revoked tokens'));
      const purges = logLines(serve).filter((line) => line.msg === 'purged expired and revoked tokens');
      assert.deepEqual(new Set(purges.map((line) => line.worker)), new Set([1]));
      assert.equal(
        purges.reduce((sum, line) => sum + (line.removed as number), 0),
        4,
      );
    } finally {
      a.close();
      b.close();
    }
  });

  test('a crashed worker is restarted and logged; SIGTERM ends every worker within 5 s, finishing what is in flight', async () => {
    const tmp = tempDb();
    dirs.push(tmp);
    const client = await seed(['--db', tmp.db]);
    // debug: each request is logged as it comes in, which tells when the in-flight ones have arrived.
    const serve = await startServe(['--db', tmp.db, '--workers', '2'], {
      cwd: tmp.dir,
      env: { PORTCULLIS_ADMIN_PASSWORD: 'chosen-admin-password-42', PORTCULLIS_LOG_LEVEL: 'debug' },
    });
    running.push(serve);
    const ready = () => logLines(serve).filter((line) => line.msg === 'worker ready');
    await until('both workers logged ready', () => (ready().length === 2 ? true : undefined));
    assert.deepEqual(ready().map((line) => line.worker).sort(), [1, 2]);
    const crashed = ready().find((line) => line.worker === 2)!.pid as number;
    process.kill(crashed, 'SIGKILL');
    const restarted = await until('worker 2 restarted', () => ready().find((line) => line.worker === 2 && line.pid !== crashed));
    const logged = logLines(serve).find((line) => line.msg === 'worker exited unexpectedly; restarting it');
    assert.equal(logged?.crashed, 2);
    assert.equal(logged?.signal, 'SIGKILL');

    const workers = [ready().find((line) => line.worker === 1)!.pid as number, restarted.pid as number];
    const [a, b] = await connectionsOnTwoWorkers(serve.url);
    // A password grant (argon2id, tens of milliseconds) on each worker, in flight when SIGTERM comes.
    const inFlight = [a, b].map((connection) =>
      connection.send('POST', '/oauth/token', { grant_type: 'password', username: 'alice', password: TEST_PASSWORD }, client),
    );
    const arrived = () => logLines(serve).filter((line) => line.msg === 'incoming request' && line.req?.url === '/oauth/token').length;
    await until('both grants arrived', () => (arrived() === 2 ? true : undefined));
    const started = Date.now();
    const stopped = serve.stop();
    const answers = await Promise.all(inFlight);
    await stopped;
    const took = Date.now() - started;
    assert.ok(took < 5_000, `exited after ${took} ms`);
    for (const answer of answers) assert.equal(answer.status, 200, answer.text);
    for (const pid of [...workers, serve.child.pid!]) assert.equal(isAlive(pid), false, `process ${pid} is gone`);
    a.close();
    b.close();
  });
});

describe('portcullis serve --workers 2 on PostgreSQL', async () => {
  const enabled = await requirePostgres('serve --workers on PostgreSQL');
  let database: TestDatabase | undefined;
  let serve: ServeProcess | undefined;
  before(async () => {
    if (enabled) database = await createTestDatabase();
  });
  after(async () => {
    await serve?.stop();
    await database?.drop();
  });

  test('a token issued by one worker is introspected, refreshed and revoked by the other; jobs run once', { skip: !enabled }, async () => {
    const store = ['--database-url', database!.url];
    const env = { PORTCULLIS_SECRET_KEY: database!.env.PORTCULLIS_SECRET_KEY };
    await runCli(['migrate', ...store], { env });
    const client = await seed(store, env);
    serve = await startServe([...store, '--workers', '2'], { env: { ...env, PORTCULLIS_ADMIN_PASSWORD: 'chosen-admin-password-42' } });
    await tokenAcrossWorkers(serve.url, client);
    const [a] = await connectionsOnTwoWorkers(serve.url);
    const scrape = await a.send('GET', '/metrics');
    a.close();
    assert.equal(series(scrape.text, 'portcullis_workers'), 2);
    assert.equal(series(scrape.text, 'portcullis_background_jobs{job="purge"}'), 1);
    assert.equal(series(scrape.text, 'portcullis_background_jobs{job="wal_checkpoint"}'), undefined);
  });
});
