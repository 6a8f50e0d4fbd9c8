// The oidc-provider peer as its README deploys it, in a plain `node` process:
// `new Provider(issuer, configuration)` and `provider.listen()`, with its built-in in-memory adapter.
//   node bench/targets/oidc-provider.mjs ['{"port":3000}']
// Only the two features measured are switched on (clientCredentials, introspection); everything
// else is left at its defaults, so the client authenticates with client_secret_basic and gets an
// opaque access token.
import { Provider } from 'oidc-provider';
import { announce, targetOptions } from './announce.mjs';

const CLIENT_ID = 'bench-service';
const CLIENT_SECRET = 'bench-client-secret-bench-client-secret';

const options = targetOptions();
const configuration = {
  clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
};
const provider = new Provider('http://127.0.0.1', configuration);
const server = provider.listen(options.port ?? 0, '127.0.0.1', () => {
  announce({
    port: server.address().port,
    info: {
      settings: { packages: 'oidc-provider 9.13.3, provider.listen() (its bundled Koa), plain node', adapter: 'built-in in-memory adapter', configuration },
      client: { id: CLIENT_ID, secret: CLIENT_SECRET },
      paths: { token: '/token', introspect: '/token/introspection' },
    },
  });
});
