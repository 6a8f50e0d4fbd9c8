import { basicAuth, FORM, fmtRatio } from '../lib/forms.ts';
import type { Measurement } from '../lib/load.ts';
import type { BenchContext, Contender, Row } from '../scenario.ts';

/**
 * The bound of the client-authenticated endpoints: the same request (same headers, same body) to
 * an empty route of a bare Fastify app, measured in turns with the scenario that divides by it.
 */
export async function emptyRoute(ctx: BenchContext, body: string): Promise<Contender> {
  const empty = await ctx.target('empty-fastify');
  const request = {
      path: '/empty',
      headers: { 'content-type': FORM, authorization: basicAuth('00000000-0000-4000-8000-000000000000', 'an-unused-secret-of-the-same-size-as-ours') },
    body,
  };
  return { label: 'empty Fastify route', measure: (window) => ctx.measure(empty, { ...window, request }) };
}

/**
 * The rows of a scenario measured against the empty route: the bound, Portcullis held to `bar`
 * (a share of the bound's req/s), and each peer with its ratio for comparison.
 */
export function emptyRouteRows(scenario: string, bar: number, bound: Measurement, ours: Measurement, peers: [subject: string, Measurement][]): Row[] {
  const ratio = (m: Measurement) => m.throughput / bound.throughput;
  return [
    { scenario, subject: 'empty form-POST route, bare Fastify (bound)', measurement: bound, status: 'bound' },
    {
      scenario,
      subject: 'Portcullis, SQLite',
      measurement: ours,
      ratios: { throughput: ratio(ours) },
      ratioText: `${fmtRatio(ratio(ours))} req/s`,
      bar: `≥ ${fmtRatio(bar)} req/s`,
      status: ours.failures === 0 && ratio(ours) >= bar ? 'pass' : 'miss',
    },
    ...peers.map(([subject, m]): Row => ({ scenario, subject, measurement: m, ratios: { throughput: ratio(m) }, ratioText: `${fmtRatio(ratio(m))} req/s`, status: 'peer' })),
  ];
}
