import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postForm, startTestServer } from '../helpers/server.ts';

describe('graceful shutdown', () => {
  it('finishes a request in flight when the app closes, and refuses new connections', async () => {
    const server = await startTestServer();
    await server.user('alice', 'correct horse battery');
    const app = await server.client({ grants: ['password'] });

    // Hold the password verification until the app is closing.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    const verify = server.hasher.verify.bind(server.hasher);
    server.hasher.verify = async (stored, password) => {
      entered();
      await held;
      return verify(stored, password);
    };

    const response = postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'password', username: 'alice', password: 'correct horse battery' },
      { basic: [app.id, app.secret!] },
    );
    await inFlight;
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, false, 'close waits for the request in flight');
    await assert.rejects(fetch(`${server.url}/healthz`), 'no new connection is accepted while closing');

    release();
    const answered = await response;
    assert.equal(answered.status, 200);
    assert.equal(typeof answered.body.access_token, 'string');
    assert.equal(answered.headers.get('connection'), 'close', 'the finished connection is not kept alive to delay the close');
    await closing;
    assert.equal(closed, true);
  });
});
