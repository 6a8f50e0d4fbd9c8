import { basicAuth, fmtRatio, FORM, form } from '../lib/forms.ts';
import type { Measurement } from '../lib/load.ts';
import type { Row, Scenario } from '../scenario.ts';

/** docs/benchmarks.md: client credentials with JWT access tokens, at least 1.2× oidc-provider's opaque ones. */
export const CLIENT_CREDENTIALS_JWT_BAR = 1.2;

/**
 * The client-credentials grant of a `jwt` client (RFC 9068 access token signed with ES256, and
 * recorded by its hash like an opaque one) against oidc-provider's opaque client-credentials grant.
 */
export const clientCredentialsJwtScenario: Scenario = {
  id: 'client-credentials-jwt',
  title: 'Client credentials grant, JWT access tokens',
  async run(ctx) {
    const scenario = `Client credentials grant with JWT access tokens (ES256), c=${ctx.settings.connections}`;
    const portcullis = await ctx.target('portcullis');
    const oidc = await ctx.target('oidc-provider');
    const body = form({ grant_type: 'client_credentials' });
    const p = (portcullis.info as { jwtServiceClient: { id: string; secret: string } }).jwtServiceClient;
    const d = (oidc.info as { client: { id: string; secret: string } }).client;
    const headers = (client: { id: string; secret: string }) => ({ 'content-type': FORM, authorization: basicAuth(client.id, client.secret) });
    ctx.log(scenario);
    const [ours, provider] = (await ctx.interleave([
      { label: 'Portcullis (jwt)', measure: (window) => ctx.measure(portcullis, { ...window, request: { path: '/oauth/token', headers: headers(p), body } }) },
      { label: 'oidc-provider (opaque)', measure: (window) => ctx.measure(oidc, { ...window, request: { path: '/token', headers: headers(d), body } }) },
    ])) as [Measurement, Measurement];
    const ratio = ours.throughput / provider.throughput;
    return [
      { scenario, subject: 'oidc-provider, opaque access tokens (the bar\'s reference)', measurement: provider, status: 'peer' },
      {
        scenario,
        subject: 'Portcullis, JWT access tokens, SQLite',
        measurement: ours,
        ratios: { throughput: ratio },
        ratioText: `${fmtRatio(ratio)} oidc-provider's req/s`,
        bar: `≥ ${fmtRatio(CLIENT_CREDENTIALS_JWT_BAR)} oidc-provider's req/s`,
        status: ours.failures === 0 && ratio >= CLIENT_CREDENTIALS_JWT_BAR ? 'pass' : 'miss',
      },
    ] satisfies Row[];
  },
};
