import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** Opens a TCP connection from `localAddress` (any of 127.0.0.0/8 is this machine) and resolves once it is up. */
function open(url: string, localAddress = '127.0.0.1'): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Milliseconds until the server closes the socket, or `limitMs` when it has not by then. */
function closedWithin(socket: Socket, limitMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve) => {
    if (socket.destroyed) return void resolve(0);
    const timer = setTimeout(() => resolve(limitMs), limitMs);
    socket.on('error', () => {});
    // Read, so that the server's end of the connection is seen.
    socket.resume();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

/** Sends `text` one byte every `everyMs`, until the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) return void clearInterval(timer);
    socket.write(text[at++]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

async function healthzMs(url: string): Promise<number> {
  const started = Date.now();
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200);
  return Date.now() - started;
}

/**
 * Issue 18, finding 9: the documented timeouts hold to within the checking interval, and one
 * address's many slow connections cannot crowd out the others (docs/security.md "Timeouts and
 * connections"). The timeouts are settings; small values keep the test fast.
 */
describe('slow and numerous connections', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      env: {
        PORTCULLIS_HTTP_HEADERS_TIMEOUT_MS: '300',
        PORTCULLIS_HTTP_REQUEST_TIMEOUT_MS: '600',
        PORTCULLIS_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '20',
      },
    });
  });
  after(async () => {
    server.app.server.server.closeAllConnections();
    await server.close();
  });

  it('the Node server reads the configured timeouts and checks them often', () => {
    const node = server.app.server.server as unknown as { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number };
    assert.deepEqual([node.headersTimeout, node.requestTimeout, node.connectionsCheckingInterval], [300, 600, 30]);
  });

  it('headers sent one byte at a time are cut off at the headers timeout', async () => {
    const socket = await open(server.url);
    trickle(socket, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`, 20);
    const ms = await closedWithin(socket, 3000);
    assert.ok(ms >= 250 && ms < 1000, `closed after ${ms} ms, the headers timeout being 300 ms`);
  });

  it('a connection that sends nothing is cut off at the headers timeout too', async () => {
    const socket = await open(server.url);
    const ms = await closedWithin(socket, 3000);
    assert.ok(ms < 1000, `closed after ${ms} ms`);
  });

  it('a body sent one byte at a time is cut off at the request timeout', async () => {
    const socket = await open(server.url);
    socket.write('POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n');
    trickle(socket, 'a'.repeat(500), 20);
    const ms = await closedWithin(socket, 3000);
    assert.ok(ms >= 500 && ms < 1500, `closed after ${ms} ms, the request timeout being 600 ms`);
  });

});

describe('the per-address connection cap', () => {
  let server: TestServer;
  before(async () => {
    // Timeouts longer than the test, so that only the cap closes connections.
    server = await startTestServer({
      env: { PORTCULLIS_HTTP_HEADERS_TIMEOUT_MS: '10000', PORTCULLIS_HTTP_REQUEST_TIMEOUT_MS: '10000', PORTCULLIS_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '20' },
    });
  });
  after(async () => {
    server.app.server.server.closeAllConnections();
    await server.close();
  });

  it('1,000 slow connections from one address: all but 20 are closed at once, and /healthz stays fast for others', async () => {
    const sockets = await Promise.all(Array.from({ length: 1000 }, () => open(server.url, '127.0.0.2').catch(() => undefined)));
    const alive = sockets.filter((socket): socket is Socket => socket !== undefined);
    for (const socket of alive) {
      socket.on('error', () => {});
      if (!socket.destroyed) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    }
    const closed = await Promise.all(alive.map((socket) => closedWithin(socket, 3000)));
    const survivors = closed.filter((ms) => ms === 3000).length;
    assert.equal(survivors, 20, `${survivors} connections of 127.0.0.2 stayed open`);
    assert.ok((await healthzMs(server.url)) < 1000);
    for (const socket of alive) socket.destroy();
  });
});

describe('the total connection cap', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_HTTP_MAX_CONNECTIONS: '10', PORTCULLIS_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '0' } });
  });
  after(async () => {
    server.app.server.server.closeAllConnections();
    await server.close();
  });

  it('connections beyond it are closed at once, and served again once others end', async () => {
    const sockets = await Promise.all(Array.from({ length: 10 }, (_, i) => open(server.url, `127.0.1.${i + 1}`)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const extra = await open(server.url, '127.0.2.1');
    assert.ok((await closedWithin(extra, 1000)) < 1000, 'the eleventh connection is closed');
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(await healthzMs(server.url) < 1000);
  });
});
