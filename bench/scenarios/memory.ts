import type { Row, Scenario } from '../scenario.ts';

export const MEMORY_BAR_MB = 200;
const MB = 1024 * 1024;

/**
 * docs/benchmarks.md, memory: the Portcullis process's resident set, sampled every 250 ms during every measured
 * window of this run (all grants, introspection), with the number of tokens it then stores.
 * The one-million-token condition of the bar is the scale scenario's (bench/scale.ts, issue 5).
 */
export const memoryScenario: Scenario = {
  id: 'memory',
  title: 'Resident memory under load',
  async run(ctx) {
    const portcullis = await ctx.target('portcullis');
    const peak = ctx.peakRss('portcullis');
    const stored = await portcullis.call<{ tokens: number; live: number }>('countTokens');
    const scenario = 'Resident memory under load';
    if (peak === undefined) return [{ scenario, subject: 'Portcullis', status: 'failed', note: 'no Portcullis load ran' }];
    const mb = peak / MB;
    const rows: Row[] = [
      {
        scenario,
        subject: `Portcullis, peak RSS over all its loads (${stored.tokens.toLocaleString('en')} tokens stored, ${stored.live.toLocaleString('en')} live)`,
        ratios: { rssMb: mb },
        ratioText: `${mb.toFixed(0)} MB`,
        bar: `< ${MEMORY_BAR_MB} MB`,
        status: mb < MEMORY_BAR_MB ? 'pass' : 'miss',
        note: 'with one million live tokens: see the scale scenario',
      },
    ];
    for (const peer of ['oauth2-server', 'oidc-provider']) {
      const peerPeak = ctx.peakRss(peer);
      if (peerPeak !== undefined) {
        rows.push({ scenario, subject: `${peer}, peak RSS over its loads`, ratios: { rssMb: peerPeak / MB }, ratioText: `${(peerPeak / MB).toFixed(0)} MB`, status: 'peer' });
      }
    }
    return rows;
  },
};
