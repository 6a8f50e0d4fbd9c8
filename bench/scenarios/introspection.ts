import { peerRow, portcullisRow } from '../lib/bars.ts';
import { basicAuth, FORM, form, postForm } from '../lib/forms.ts';
import type { Measurement } from '../lib/load.ts';
import type { TargetProcess } from '../lib/spawn.ts';
import type { BenchContext, Contender, MeasureOptions, Row, Scenario } from '../scenario.ts';

/** docs/benchmarks.md: at least 2× oidc-provider's req/s. */
export const INTROSPECTION_BAR = 2;
const TOKENS = 256;

/** Issues live access tokens by client credentials, then introspects them in turn as the same client. */
async function introspectionContender(
  ctx: BenchContext,
  label: string,
  target: TargetProcess,
  client: { id: string; secret: string },
  paths: { token: string; introspect: string },
): Promise<Contender> {
  const authorization = basicAuth(client.id, client.secret);
  const bodies: string[] = [];
  for (let i = 0; i < TOKENS; i++) {
    const answer = await postForm(`${target.url}${paths.token}`, { grant_type: 'client_credentials' }, authorization);
    bodies.push(form({ token: answer.access_token as string }));
  }
  // An inactive answer would be a broken run, not a fast one: check every token once before the
  // load, which then sends prebuilt requests (the load generator's cheap path, as for the bound).
  for (const body of bodies) {
    const answer = await postForm(`${target.url}${paths.introspect}`, Object.fromEntries(new URLSearchParams(body)), authorization);
    if (answer.active !== true) throw new Error(`${label}: a freshly issued token introspects as ${JSON.stringify(answer)}`);
  }
  const load: MeasureOptions = {
    request: { path: paths.introspect, headers: { 'content-type': FORM, authorization } },
    bodies,
  };
  return { label, measure: (window) => ctx.measure(target, { ...window, ...load }) };
}

/**
 * docs/benchmarks.md: RFC 7662 introspection of a live access token against oidc-provider's
 * (@node-oauth/oauth2-server has no introspection endpoint).
 */
export const introspectionScenario: Scenario = {
  id: 'introspection',
  title: 'Token introspection',
  async run(ctx) {
    const scenario = `Introspection (RFC 7662), c=${ctx.settings.connections}`;
    const portcullis = await ctx.target('portcullis');
    const oidc = await ctx.target('oidc-provider');

    const p = portcullis.info as { serviceClient: { id: string; secret: string }; paths: { token: string; introspect: string } };
    const d = oidc.info as { client: { id: string; secret: string }; paths: { token: string; introspect: string } };
    ctx.log(`${scenario}: issuing ${TOKENS} access tokens on each server`);
    const contenders = [
      await introspectionContender(ctx, 'oidc-provider', oidc, d.client, d.paths),
      await introspectionContender(ctx, 'Portcullis', portcullis, p.serviceClient, p.paths),
    ];
    ctx.log(scenario);
    const [provider, ours] = (await ctx.interleave(contenders)) as [Measurement, Measurement];
    return [
      peerRow(scenario, { name: 'oidc-provider', measurement: provider }),
      portcullisRow(scenario, 'Portcullis, SQLite', ours, [{ against: "oidc-provider's", measurement: provider, atLeast: INTROSPECTION_BAR }]),
    ] satisfies Row[];
  },
};
