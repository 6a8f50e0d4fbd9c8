import type { Measurement } from '../lib/load.ts';
import { basicAuth, FORM, fmtRatio, form } from '../lib/forms.ts';
import type { Row, Scenario } from '../scenario.ts';

export const THROUGHPUT_BAR = 0.95;
export const P99_BAR = 1.25;

/**
 * docs/benchmarks.md: the password grant against raw argon2id verification (the hash is the physical limit),
 * same parameters, same concurrency, same thread-pool size, measured one after the other.
 */
export const passwordScenario: Scenario = {
  id: 'password',
  title: 'Password grant',
  async run(ctx) {
    const { connections } = ctx.settings;
    const scenario = `Password grant (argon2id m=19456 t=2 p=1), c=${connections}`;
    const raw = await ctx.target('raw-argon2');
    const portcullis = await ctx.target('portcullis');
    const peer = await ctx.target('oauth2-server');

    const p = portcullis.info as { username: string; password: string; ropcClient: { id: string; secret: string } };
    const o = peer.info as { username: string; password: string; client: { id: string; secret: string } };
    ctx.log(scenario);
    const [bound, ours, theirs] = (await ctx.interleave([
      { label: 'raw argon2id', measure: (window) => raw.call<Measurement>('measure', { connections, ...window }) },
      {
        label: 'Portcullis',
        measure: (window) =>
          ctx.measure(portcullis, {
            ...window,
            request: {
              path: '/oauth/token',
              headers: { 'content-type': FORM, authorization: basicAuth(p.ropcClient.id, p.ropcClient.secret) },
              body: form({ grant_type: 'password', username: p.username, password: p.password }),
            },
          }),
      },
      {
        label: '@node-oauth/oauth2-server',
        measure: (window) =>
          ctx.measure(peer, {
            ...window,
            request: {
              path: '/oauth/token',
              headers: { 'content-type': FORM, authorization: basicAuth(o.client.id, o.client.secret) },
              body: form({ grant_type: 'password', username: o.username, password: o.password }),
            },
          }),
      },
    ])) as [Measurement, Measurement, Measurement];

    const ratios = (m: Measurement) => ({ throughput: m.throughput / bound.throughput, p99: m.p99 / bound.p99 });
    const oursRatio = ratios(ours);
    const pass = ours.failures === 0 && oursRatio.throughput >= THROUGHPUT_BAR && oursRatio.p99 <= P99_BAR;
    const text = (r: { throughput: number; p99: number }) => `${fmtRatio(r.throughput)} req/s; ${fmtRatio(r.p99)} p99`;
    const rows: Row[] = [
      { scenario, subject: 'raw argon2id verify, in process (bound)', measurement: bound, status: 'bound' },
      {
        scenario,
        subject: 'Portcullis',
        measurement: ours,
        ratios: oursRatio,
        ratioText: text(oursRatio),
        bar: `≥ ${fmtRatio(THROUGHPUT_BAR)} req/s and ≤ ${fmtRatio(P99_BAR)} p99`,
        status: pass ? 'pass' : 'miss',
      },
      { scenario, subject: '@node-oauth/oauth2-server (express)', measurement: theirs, ratios: ratios(theirs), ratioText: text(ratios(theirs)), status: 'peer' },
    ];
    return rows;
  },
};
