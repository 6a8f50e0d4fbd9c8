import { peerRow, portcullisRow } from '../lib/bars.ts';
import type { Measurement } from '../lib/load.ts';
import type { Row, Scenario } from '../scenario.ts';
import { clientCredentialsLoad } from './client-credentials.ts';

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
    const p = (portcullis.info as { jwtServiceClient: { id: string; secret: string } }).jwtServiceClient;
    const d = (oidc.info as { client: { id: string; secret: string } }).client;
    ctx.log(scenario);
    const [provider, ours] = (await ctx.interleave([
      { label: 'oidc-provider (opaque)', measure: (window) => ctx.measure(oidc, { ...window, ...clientCredentialsLoad('/token', d) }) },
      { label: 'Portcullis (jwt)', measure: (window) => ctx.measure(portcullis, { ...window, ...clientCredentialsLoad('/oauth/token', p) }) },
    ])) as [Measurement, Measurement];
    return [
      peerRow(scenario, { name: 'oidc-provider, opaque access tokens (the bar\'s reference)', measurement: provider }),
      portcullisRow(scenario, 'Portcullis, JWT access tokens, SQLite', ours, [{ against: "oidc-provider's", measurement: provider, atLeast: CLIENT_CREDENTIALS_JWT_BAR }]),
    ] satisfies Row[];
  },
};
