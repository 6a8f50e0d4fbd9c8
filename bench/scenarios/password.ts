import { bestPeer, p99AgainstBestPeer, peerRow, portcullisRow } from '../lib/bars.ts';
import { basicAuth, FORM, fmtRatio, form } from '../lib/forms.ts';
import { fromSamples, type Measurement } from '../lib/load.ts';
import type { Row, Scenario } from '../scenario.ts';

/** docs/benchmarks.md: at least 0.95× the in-memory peer's req/s and 0.90× raw argon2id's; p99 at most 1.25× raw argon2id's. */
export const PEER_THROUGHPUT_BAR = 0.95;
export const RAW_THROUGHPUT_BAR = 0.9;
export const RAW_P99_BAR = 1.25;

/**
 * docs/benchmarks.md: the password grant against raw argon2id verification (the hash is the physical limit:
 * same parameters, same concurrency, same thread-pool size) and @node-oauth/oauth2-server, in turns.
 */
export const passwordScenario: Scenario = {
  id: 'password',
  title: 'Password grant',
  async run(ctx) {
    const connections = ctx.settings.passwordConnections;
    const scenario = `Password grant (argon2id m=19456 t=2 p=1), c=${connections}`;
    const raw = await ctx.target('raw-argon2');
    const portcullis = await ctx.target('portcullis');
    const peer = await ctx.target('oauth2-server');

    const p = portcullis.info as { username: string; password: string; ropcClient: { id: string; secret: string } };
    const o = peer.info as { username: string; password: string; client: { id: string; secret: string } };
    const login = (username: string, password: string, client: { id: string; secret: string }) => ({
      connections,
      request: {
        path: '/oauth/token',
        headers: { 'content-type': FORM, authorization: basicAuth(client.id, client.secret) },
        body: form({ grant_type: 'password', username, password }),
      },
    });
    ctx.log(scenario);
    const [bound, ours, theirs] = (await ctx.interleave([
      {
        label: 'raw argon2id',
        measure: async (window) => fromSamples(await raw.call('measure', { connections, ...window }), connections),
      },
      { label: 'Portcullis', measure: (window) => ctx.measure(portcullis, { ...window, ...login(p.username, p.password, p.ropcClient) }) },
      { label: '@node-oauth/oauth2-server', measure: (window) => ctx.measure(peer, { ...window, ...login(o.username, o.password, o.client) }) },
    ])) as [Measurement, Measurement, Measurement];

    const peers = [{ name: '@node-oauth/oauth2-server (express)', measurement: theirs }];
    const rawP99 = ours.p99 / bound.p99;
    return [
      { scenario, subject: 'raw argon2id verify, plain node (bound)', measurement: bound, status: 'bound' },
      ...peers.map((one) => peerRow(scenario, one)),
      portcullisRow(
        scenario,
        'Portcullis, SQLite',
        ours,
        [
          { against: "the peer's", measurement: bestPeer(peers).measurement, atLeast: PEER_THROUGHPUT_BAR },
          { against: "raw argon2id's", measurement: bound, atLeast: RAW_THROUGHPUT_BAR },
        ],
        [{ text: `${fmtRatio(rawP99)} raw p99`, bar: `p99 ≤ ${fmtRatio(RAW_P99_BAR)} raw argon2id's`, pass: rawP99 <= RAW_P99_BAR }],
      ),
      p99AgainstBestPeer(scenario, ours, peers),
    ] satisfies Row[];
  },
};
