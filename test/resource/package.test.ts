import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ManualClock } from '../../src/core/clock.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { issueToken } from '../helpers/upstream.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
/**
 * The compiler flags of a strict ESM TypeScript project for Node 20 (target and lib as in
 * @tsconfig/node20, which also spares parsing the DOM library); no skipLibCheck.
 */
const STRICT_NODENEXT = ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2023', '--strict', '--noEmit'];

/** Without a loader that NODE_OPTIONS could slip in: what runs is plain Node. */
const PLAIN_ENV = { ...process.env, NODE_OPTIONS: '' };

/** A command's output; its own output in the assertion message when it fails. */
async function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = PLAIN_ENV): Promise<string> {
  try {
    return (await run(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    assert.fail(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

// A user's consumer, as docs/resource-server.md shows it: plain JavaScript, no TypeScript loader.
const CONSUMER_JS = `
import { createServer } from 'node:http';
import { introspectionVerifier, portcullisMiddleware } from '@portcullis/resource';

const guard = portcullisMiddleware({
  verifier: introspectionVerifier({
    endpoint: process.env.INTROSPECTION_URL,
    clientId: process.env.CLIENT_ID,
    clientSecret: process.env.CLIENT_SECRET,
    cacheMaxAge: 30,
  }),
  scopes: ['reports'],
});
const server = createServer((req, res) =>
  guard(req, res, (error) => {
    if (error) return void res.writeHead(500).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: req.portcullis.user }));
  }),
);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = \`http://127.0.0.1:\${server.address().port}/reports\`;
const answers = {};
for (const [name, token] of [['good', process.env.GOOD_TOKEN], ['bad', 'not-a-token'], ['none', undefined]]) {
  const response = await fetch(url, { headers: token ? { authorization: \`Bearer \${token}\` } : {} });
  answers[name] = { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() };
}
server.close();
try {
  introspectionVerifier({ endpoint: process.env.INTROSPECTION_URL, clientId: process.env.CLIENT_ID, cacheMaxAge: 30 });
} catch (error) {
  answers.misconfigured = error.message;
}
console.log(JSON.stringify(answers));
`;

const CONSUMER_TS = `
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type Access,
  type Authorizer,
  type GuardOptions,
  IntrospectionVerifier,
  introspectionVerifier,
  portcullisFastify,
  portcullisMiddleware,
  type ProtectedRequest,
  ResourceDenial,
  ResourceGuard,
  type TokenVerifier,
  type VerifiedToken,
  VerifierUnavailableError,
} from '@portcullis/resource';

const verifier: IntrospectionVerifier = introspectionVerifier({
  endpoint: 'https://auth.example.com/oauth/introspect',
  clientId: 'rs',
  clientSecret: 'secret',
  cacheMaxAge: 30,
  logger: console,
  onError: (error: VerifierUnavailableError) => console.error(error.message),
});
const ownVerifier: TokenVerifier = {
  async verify(token: string): Promise<VerifiedToken | undefined> {
    return token === 'x' ? { clientId: 'c', username: null, scope: [], expiresAt: null } : undefined;
  },
};
const options: GuardOptions = { verifier, scopes: ['orders'] };
const middleware: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void = portcullisMiddleware(options);
createServer((req, res) =>
  middleware(req, res, () => {
    const access: Access | undefined = (req as ProtectedRequest).portcullis;
    res.end(access?.user ?? '');
  }),
);
const guard = new ResourceGuard({ verifier: ownVerifier });
guard.check({ headers: {}, method: 'GET', url: '/' }).catch((error: unknown) => {
  if (error instanceof ResourceDenial) console.log(error.status, error.headers, error.body.error);
});
const authorizer: Authorizer | undefined = undefined;
const plugin: (app: never, options: GuardOptions) => Promise<void> = portcullisFastify;
console.log(authorizer, plugin);
`;

describe('@portcullis/resource, packed and installed as a user would', () => {
  let server: TestServer;
  let project: string;
  let packed: { filename: string; files: { path: string }[] };
  let env: NodeJS.ProcessEnv;

  before(async () => {
    // The consumer runs on the system clock: tokens must be issued on it too.
    server = await startTestServer({ clock: new ManualClock(Math.floor(Date.now() / 1000)) });
    await server.user('carol', 'carol-password-1');
    await server.scope('reports', ['reports']);
    const app = await server.client({ name: 'app', grants: ['password'], scopes: ['reports'] });
    const rs = await server.client({ name: 'reports-service', grants: ['client_credentials'], introspect: true });
    const token = await issueToken(server.app, app.id, { username: 'carol', scope: ['reports'] });
    env = {
      ...PLAIN_ENV,
      INTROSPECTION_URL: `${server.url}/oauth/introspect`,
      CLIENT_ID: rs.id,
      CLIENT_SECRET: rs.secret!,
      GOOD_TOKEN: token.access_token,
    };

    project = mkdtempSync(join(tmpdir(), 'portcullis-consumer-'));
    // npm pack runs the package's prepack, which builds it from the current sources (and says so before the JSON).
    const report = await sh('npm', ['pack', join(ROOT, 'packages', 'resource'), '--pack-destination', project, '--json'], project);
    [packed] = JSON.parse(/^\[[\s\S]*$/m.exec(report)![0]) as [typeof packed];
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // No dependencies, so nothing to download.
    await sh('npm', ['install', '--offline', '--no-audit', '--no-fund', `./${packed.filename}`], project);
  });
  after(async () => {
    await server?.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('holds the built JavaScript and declarations, and depends on nothing', () => {
    const paths = packed.files.map((file) => file.path);
    assert.ok(paths.includes('dist/index.js') && paths.includes('dist/index.d.ts'), paths.join(' '));
    assert.deepEqual(
      paths.filter((path) => !path.startsWith('dist/') && path !== 'package.json' && path !== 'README.md'),
      [],
    );
    assert.ok(!paths.some((path) => /^dist\/types\/(store|http)\//.test(path)), 'no store or server types');
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/@portcullis/resource/package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(installed.dependencies, undefined);
    assert.equal(installed.peerDependencies, undefined);
  });

  it('protects a node:http server from plain JavaScript, against a running Portcullis', async () => {
    writeFileSync(join(project, 'consumer.mjs'), CONSUMER_JS);
    type Answer = { status: number; challenge: string | null; body: unknown };
    const answers = JSON.parse(await sh(process.execPath, ['consumer.mjs'], project, env)) as { good: Answer; bad: Answer; none: Answer; misconfigured: string };
    assert.deepEqual(answers.good, { status: 200, challenge: null, body: { user: 'carol' } });
    assert.equal(answers.bad.status, 401);
    assert.equal(answers.bad.challenge, 'Bearer error="invalid_token"');
    assert.equal(answers.none.status, 401);
    assert.equal(answers.none.challenge, 'Bearer realm="portcullis"');
    assert.match(answers.misconfigured, /`clientSecret` is missing or empty/);
  });

  it('typechecks in a strict NodeNext TypeScript project', async () => {
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
    // The project's own @types/node, as any TypeScript project for Node has.
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
    const output = await sh(TSC, [...STRICT_NODENEXT, 'consumer.ts'], project);
    assert.equal(output, '');
  });
});

describe('portcullis/resource, the root entry, from plain Node', () => {
  it('is compiled JavaScript that gives the library and the store-backed helpers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-root-entry-'));
    try {
      const script = `
        const entry = await import('portcullis/resource');
        const store = await entry.openStore({ db: ${JSON.stringify(join(dir, 'portcullis.db'))} });
        await store.migrate();
        const verified = await entry.localVerifier(store).verify('no-such-token');
        const authorizer = entry.storeAuthorizer(store);
        await store.close();
        console.log(JSON.stringify({
          resolved: import.meta.resolve('portcullis/resource'),
          exports: Object.keys(entry).sort(),
          verified: verified ?? null,
          authorizer: Object.keys(authorizer).sort(),
        }));`;
      // No TypeScript loader: the entry must be JavaScript. Run from the repository, found by self-reference.
      const output = await sh(process.execPath, ['--input-type=module', '-e', script], ROOT);
      const result = JSON.parse(output) as { resolved: string; exports: string[]; verified: null; authorizer: string[] };
      assert.match(result.resolved, /\/build\/resource\/index\.js$/);
      for (const name of ['localVerifier', 'storeAuthorizer', 'openStore', 'introspectionVerifier', 'portcullisMiddleware', 'portcullisFastify', 'ResourceGuard', 'ResourceDenial']) {
        assert.ok(result.exports.includes(name), name);
      }
      assert.equal(result.verified, null);
      assert.deepEqual(result.authorizer, ['catalog', 'principals']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('typechecks in a strict NodeNext project, with request.portcullis on Fastify requests and app.log as a logger', async () => {
    // Inside the repository, so that `portcullis/resource` resolves to this package's own exports.
    const dir = join(ROOT, 'test-output', `root-entry-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(
        join(dir, 'consumer.ts'),
        `
import Fastify from 'fastify';
import { introspectionVerifier, localVerifier, openStore, portcullisFastify, storeAuthorizer } from 'portcullis/resource';

const store = await openStore({ db: ':memory:' });
const app = Fastify();
await app.register(portcullisFastify, { verifier: localVerifier(store), authorizer: storeAuthorizer(store), service: 'orders.v1:list' });
app.get('/orders', async (request) => ({ user: request.portcullis?.user ?? null }));
// Fastify's pino logger is a logger for the verifier's failures.
introspectionVerifier({ endpoint: 'https://auth.example.com/oauth/introspect', clientId: 'rs', clientSecret: 's', cacheMaxAge: 30, logger: app.log });
`,
      );
      assert.equal(await sh(TSC, [...STRICT_NODENEXT, '--types', 'node', 'consumer.ts'], dir), '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
