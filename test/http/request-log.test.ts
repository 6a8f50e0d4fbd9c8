import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

function completedLines(logs: string[]): Array<{ level: number; reqId: string; res: { statusCode: number }; req: { url: string } }> {
  return logs
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"request completed"'))
    .map((line) => JSON.parse(line) as { level: number; reqId: string; res: { statusCode: number }; req: { url: string } });
}

describe('request logging (hardening: one line per failed request, none per success at info)', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };

  before(async () => {
    server = await startTestServer();
    client = await server.client({ type: 'confidential', grants: ['client_credentials'] });
  });
  after(() => server.close());

  it('logs nothing per request for a token issued', async () => {
    server.logs.length = 0;
    const ok = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [client.id, client.secret!], secrets: server.secrets });
    assert.equal(ok.status, 200);
    assert.deepEqual(completedLines(server.logs), []);
    assert.ok(!server.logs.some((line) => line.includes('incoming request')));
  });

  it('logs a refused client at info, with status and path and no credential', async () => {
    server.logs.length = 0;
    const refused = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [client.id, 'wrong-secret-value'] });
    assert.equal(refused.status, 401);
    const lines = completedLines(server.logs);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 30);
    assert.equal(lines[0]!.res.statusCode, 401);
    assert.equal(lines[0]!.req.url, '/oauth/token');
    // The request's child logger is made only when it logs: it must still carry the request's id.
    assert.match(lines[0]!.reqId, /^req-/);
    assert.deepEqual(findLeaks(server.logs, [...server.secrets, 'wrong-secret-value']), []);
  });
});
