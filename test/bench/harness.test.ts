import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { p99AgainstBestPeer, portcullisRow } from '../../bench/lib/bars.ts';
import { basicAuth, FORM, form } from '../../bench/lib/forms.ts';
import { combine, fromSamples, type Measurement } from '../../bench/lib/load.ts';
import { resultsMarkdown } from '../../bench/lib/report.ts';
import { spawnTarget, type TargetProcess } from '../../bench/lib/spawn.ts';
import { scenarios } from '../../bench/registry.ts';
import { CodePool, codesFor } from '../../bench/scenarios/authorization-code.ts';
import { REFRESH_BAR } from '../../bench/scenarios/refresh.ts';
import type { BenchSettings } from '../../bench/scenario.ts';

function measurement(throughput: number, p99: number, failures = 0): Measurement {
  return { throughput, p50: p99 / 2, p99, p999: p99 * 2, count: throughput, failures, seconds: 1, connections: 16 };
}

const settings: BenchSettings = {
  quick: true,
  connections: 16,
  passwordConnections: 32,
  duration: 1,
  warmup: 0,
  rounds: 1,
  targetEnv: {},
  portcullisNodeArgs: [],
  peerNodeArgs: [],
};

describe('bench bars', () => {
  it('holds Portcullis\'s p99 against the peer with the lowest p99', () => {
    const peers = [
      { name: 'slow', measurement: measurement(100, 9) },
      { name: 'fast', measurement: measurement(100, 4) },
    ];
    const passing = p99AgainstBestPeer('s', measurement(100, 4), peers);
    assert.equal(passing.status, 'pass');
    assert.match(passing.subject, /fast, 4\.00 ms/);
    assert.equal(passing.ratios!.p99, 1);
    assert.equal(p99AgainstBestPeer('s', measurement(100, 4.1), peers).status, 'miss');
    assert.equal(p99AgainstBestPeer('s', measurement(100, 1, 1), peers).status, 'miss');
  });

  it('passes Portcullis\'s row only when every throughput bar and check holds', () => {
    const peer = measurement(1000, 5);
    const row = portcullisRow('s', 'Portcullis', measurement(1500, 5), [{ against: "the peer's", measurement: peer, atLeast: REFRESH_BAR }]);
    assert.equal(row.status, 'pass');
    assert.equal(row.bar, "≥ 1.50× the peer's req/s");
    assert.equal(portcullisRow('s', 'Portcullis', measurement(1499, 5), [{ against: 'x', measurement: peer, atLeast: 1.5 }]).status, 'miss');
    const failedCheck = portcullisRow('s', 'Portcullis', measurement(2000, 5), [{ against: 'x', measurement: peer, atLeast: 1.5 }], [{ text: 't', bar: 'b', pass: false }]);
    assert.equal(failedCheck.status, 'miss');
    assert.equal(failedCheck.bar, '≥ 1.50× x req/s and b');
    // A ratio without a bar is shown for context.
    assert.equal(portcullisRow('s', 'Portcullis', measurement(10, 5), [{ against: 'x', measurement: peer }]).status, 'measured');
  });

  it('merges rounds into p50, p99 and p99.9 of every latency', () => {
    const a = fromSamples({ count: 500, elapsed: 1, cpuUs: 1000, rss: 1, samples: Array.from({ length: 500 }, (_, i) => i + 1) }, 8);
    const b = fromSamples({ count: 500, elapsed: 1, cpuUs: 1000, rss: 2, samples: Array.from({ length: 500 }, (_, i) => i + 501) }, 8);
    const both = combine([a, b]);
    assert.deepEqual([both.p50, both.p99, both.p999], [500, 990, 999]);
    assert.equal(both.cpuPerRequestUs, 2);
    assert.equal(both.peakRss, 2);
  });

  it('prints p50, p99 and p99.9 on every row of the table', () => {
    const text = resultsMarkdown({
      generatedAt: 'now',
      command: 'npm run bench',
      machine: { cpuModel: 'cpu', cores: 2, memoryGb: 1, os: 'linux', node: 'v20', loadAverage: { start: 1, end: 1 } },
      settings,
      targets: {},
      rows: [{ scenario: 's', subject: 'Portcullis', measurement: measurement(100, 4), status: 'peer' }],
      durationSeconds: 1,
    });
    assert.match(text, /\| p50 ms \| p99 ms \| p99\.9 ms \|/);
    assert.match(text, /\| 100 \| 2\.00 \| 4\.00 \| 8\.00 \|/);
    assert.match(text, /16 connections \(the password grant 32\)/);
  });
});

describe('bench registry', () => {
  it('lists the authorization-code scenario and a row for each plugged scenario', async () => {
    const ids = (await scenarios()).map((scenario) => scenario.id);
    for (const id of ['password', 'refresh', 'client-credentials', 'client-credentials-jwt', 'authorization-code', 'introspection', 'gateway', 'scale', 'workers', 'postgres']) {
      assert.ok(ids.includes(id), id);
    }
    assert.equal(ids.at(-1), 'memory');
  });

  it('runs the workers and PostgreSQL scenarios from their own files', async () => {
    const found = await scenarios(['workers', 'postgres']);
    assert.deepEqual(
      found.map((scenario) => scenario.id),
      ['workers', 'postgres'],
    );
  });
});

describe('authorization code pool', () => {
  it('tops up to what a load run may spend and never hands a code out twice', async () => {
    let seeded = 0;
    const pool = new CodePool(async (count) => Array.from({ length: count }, () => `code-${seeded++}`));
    await pool.fill(3);
    assert.deepEqual([pool.take(), pool.take()], ['code-0', 'code-1']);
    await pool.fill(3);
    assert.deepEqual([pool.take(), pool.take(), pool.take(), pool.take()], ['code-2', 'code-3', 'code-4', 'pool-exhausted']);
    assert.equal(codesFor(10, 1000, 16), 13_032);
  });
});

const VERIFIER = 'a-pkce-code-verifier-of-at-least-forty-three-characters';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

async function redeem(target: TargetProcess, client: { id: string; secret: string; redirectUri: string }, code: string, verifier = VERIFIER) {
  const response = await fetch(`${target.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuth(client.id, client.secret) },
    body: form({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The command line of a process, from /proc. */
const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

describe('bench targets', () => {
  const targets: TargetProcess[] = [];
  before(async () => {
    targets.push(...(await Promise.all(['oauth2-server', 'portcullis'].map((name) => spawnTarget(name, {})))));
  });
  after(async () => {
    await Promise.all(targets.map((target) => target.stop()));
  });

  it('runs the peer as a plain node process, without a loader', async () => {
    const [peer] = targets;
    const args = commandLine(peer!.pid);
    assert.match(args[1]!, /bench\/targets\/oauth2-server\.mjs$/);
    assert.ok(!args.some((arg) => arg.includes('tsx')), args.join(' '));
    assert.ok((await peer!.cpu()) > 0);
    assert.ok((await peer!.rss()) > 10 * 1024 * 1024);
  });

  it('runs Portcullis as portcullis serve', () => {
    const args = commandLine(targets[1]!.pid);
    assert.ok(args.includes('serve') && args.some((arg) => arg.endsWith('bin/portcullis.mjs')), args.join(' '));
  });

  for (const [index, name] of ['oauth2-server', 'portcullis'].entries()) {
    it(`${name}: a seeded code is redeemed once, with its PKCE verifier only`, async () => {
      const target = targets[index]!;
      const client = (target.info as { codeClient: { id: string; secret: string; redirectUri: string } }).codeClient;
      const codes =
        name === 'portcullis'
          ? await target.call<string[]>('seedCodes', { count: 2, codeChallenge: CHALLENGE })
          : await target.call('seedCodes', { prefix: 'test-', count: 2, codeChallenge: CHALLENGE }).then(() => ['test-0', 'test-1']);
      const first = await redeem(target, client, codes[0]!);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(typeof first.body.access_token, 'string');
      assert.equal((await redeem(target, client, codes[0]!)).status, 400);
      assert.equal((await redeem(target, client, codes[1]!, `${VERIFIER}-wrong`)).status, 400);
    });
  }
});
