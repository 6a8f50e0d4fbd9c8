import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Provider } from 'oidc-provider';
import type { TargetStarter } from '../lib/target.ts';

const CLIENT_ID = 'bench-service';
const CLIENT_SECRET = 'bench-client-secret-bench-client-secret';

/**
 * The oidc-provider peer, deployed as its README shows: `new Provider(issuer, configuration)` and
 * `provider.listen()`, with its built-in in-memory adapter. Only the two features measured are
 * switched on (clientCredentials, introspection); everything else is left at its defaults, so the
 * client authenticates with client_secret_basic and gets an opaque access token.
 */
export const start: TargetStarter = async () => {
  const configuration = {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: false },
    },
  };
  const issuer = 'http://127.0.0.1';
  const provider = new Provider(issuer, configuration);
  const server = await new Promise<Server>((resolve) => {
    const listening = provider.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    info: {
      settings: {
        packages: 'oidc-provider 9.13.3, provider.listen() (its bundled Koa)',
        adapter: 'built-in in-memory adapter',
        configuration,
      },
      client: { id: CLIENT_ID, secret: CLIENT_SECRET },
      paths: { token: '/token', introspect: '/token/introspection' },
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
