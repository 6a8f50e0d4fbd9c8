import { basicAuth, FORM, form } from '../lib/forms.ts';
import type { Measurement } from '../lib/load.ts';
import type { TargetProcess } from '../lib/spawn.ts';
import type { MeasureOptions, Scenario } from '../scenario.ts';
import { emptyRoute, emptyRouteRows } from './empty-route.ts';

export const CLIENT_CREDENTIALS_BAR = 0.5;

/**
 * docs/benchmarks.md: the client-credentials grant against an empty form-POST route on the same HTTP stack
 * (bare Fastify, same parser, same request), with both peers beside it.
 */
export const clientCredentialsScenario: Scenario = {
  id: 'client-credentials',
  title: 'Client credentials grant',
  async run(ctx) {
    const scenario = `Client credentials grant, c=${ctx.settings.connections}`;
    const portcullis = await ctx.target('portcullis');
    const oauth2 = await ctx.target('oauth2-server');
    const oidc = await ctx.target('oidc-provider');
    const body = form({ grant_type: 'client_credentials' });

    const p = (portcullis.info as { serviceClient: { id: string; secret: string } }).serviceClient;
    const o = (oauth2.info as { client: { id: string; secret: string } }).client;
    const d = (oidc.info as { client: { id: string; secret: string } }).client;
    const grant = (target: TargetProcess, path: string, client: { id: string; secret: string }): MeasureOptions => ({
      request: { path, headers: { 'content-type': FORM, authorization: basicAuth(client.id, client.secret) }, body },
    });
    ctx.log(scenario);
    const [bound, ours, theirs, provider] = (await ctx.interleave([
      await emptyRoute(ctx, body),
      { label: 'Portcullis', measure: (window) => ctx.measure(portcullis, { ...window, ...grant(portcullis, '/oauth/token', p) }) },
      { label: '@node-oauth/oauth2-server', measure: (window) => ctx.measure(oauth2, { ...window, ...grant(oauth2, '/oauth/token', o) }) },
      { label: 'oidc-provider', measure: (window) => ctx.measure(oidc, { ...window, ...grant(oidc, '/token', d) }) },
    ])) as [Measurement, Measurement, Measurement, Measurement];

    return emptyRouteRows(scenario, CLIENT_CREDENTIALS_BAR, bound, ours, [
      ['@node-oauth/oauth2-server (express)', theirs],
      ['oidc-provider', provider],
    ]);
  },
};
