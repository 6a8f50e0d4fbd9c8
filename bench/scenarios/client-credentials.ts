import { p99AgainstBestPeer, peerRow, portcullisRow } from '../lib/bars.ts';
import { basicAuth, FORM, form } from '../lib/forms.ts';
import type { Measurement } from '../lib/load.ts';
import type { MeasureOptions, Row, Scenario } from '../scenario.ts';

/** docs/benchmarks.md: opaque tokens, persisted, at least 1.5× oidc-provider's req/s. */
export const CLIENT_CREDENTIALS_BAR = 1.5;

/** One client-credentials request, authenticated with HTTP Basic (RFC 6749 §4.4.2). */
export function clientCredentialsLoad(path: string, client: { id: string; secret: string }): MeasureOptions {
  return { request: { path, headers: { 'content-type': FORM, authorization: basicAuth(client.id, client.secret) }, body: form({ grant_type: 'client_credentials' }) } };
}

/**
 * docs/benchmarks.md: the client-credentials grant (opaque token, persisted) against oidc-provider, with
 * @node-oauth/oauth2-server beside them; the tail bar holds against the better of the two.
 */
export const clientCredentialsScenario: Scenario = {
  id: 'client-credentials',
  title: 'Client credentials grant',
  async run(ctx) {
    const scenario = `Client credentials grant, c=${ctx.settings.connections}`;
    const portcullis = await ctx.target('portcullis');
    const oauth2 = await ctx.target('oauth2-server');
    const oidc = await ctx.target('oidc-provider');
    const p = (portcullis.info as { serviceClient: { id: string; secret: string } }).serviceClient;
    const o = (oauth2.info as { client: { id: string; secret: string } }).client;
    const d = (oidc.info as { client: { id: string; secret: string } }).client;
    ctx.log(scenario);
    const [provider, theirs, ours] = (await ctx.interleave([
      { label: 'oidc-provider', measure: (window) => ctx.measure(oidc, { ...window, ...clientCredentialsLoad('/token', d) }) },
      { label: '@node-oauth/oauth2-server', measure: (window) => ctx.measure(oauth2, { ...window, ...clientCredentialsLoad('/oauth/token', o) }) },
      { label: 'Portcullis', measure: (window) => ctx.measure(portcullis, { ...window, ...clientCredentialsLoad('/oauth/token', p) }) },
    ])) as [Measurement, Measurement, Measurement];
    const peers = [
      { name: 'oidc-provider', measurement: provider },
      { name: '@node-oauth/oauth2-server (express)', measurement: theirs },
    ];
    return [
      ...peers.map((one) => peerRow(scenario, one)),
      portcullisRow(scenario, 'Portcullis, opaque tokens, SQLite', ours, [
        { against: "oidc-provider's", measurement: provider, atLeast: CLIENT_CREDENTIALS_BAR },
        { against: "@node-oauth/oauth2-server's", measurement: theirs },
      ]),
      p99AgainstBestPeer(scenario, ours, peers),
    ] satisfies Row[];
  },
};
