import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { createLogger } from '../../src/http/logger.ts';
import { createTokenVerifier } from '../../src/resource/resource-server.ts';
import type { Store } from '../../src/store/store.ts';
import { VerifierUnavailableError } from '../../src/resource/token-verifier.ts';

describe('the gateway verifier, by introspection', () => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
  });
  let url: string;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/introspect`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('logs a refused client secret once, to the server log, without the secret', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('info', destination);
    const secret = 'wrong-secret-for-this-test';
    const verifier = createTokenVerifier(
      { introspection: { url, clientId: 'gateway', clientSecret: secret }, cacheMaxAge: 0, upstreamTimeoutMs: 1000, maxConcurrentPerService: 100 },
      {} as Store,
      new ManualClock(),
      logger,
    );
    await assert.rejects(verifier.verify('some-token-1'), VerifierUnavailableError);
    await assert.rejects(verifier.verify('some-token-2'), VerifierUnavailableError);
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as { level: number; msg: string };
    assert.equal(line.level, 50, 'error: a refused secret does not heal by itself');
    assert.match(line.msg, /refused the client credentials \(401\): check clientId and clientSecret/);
    assert.ok(!lines[0]!.includes(secret));
  });
});
