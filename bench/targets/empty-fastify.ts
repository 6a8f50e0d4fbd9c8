import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { parseForm } from '../../src/authz/oauth-request.ts';
import type { TargetStarter } from '../lib/target.ts';

/**
 * The bound for the client-credentials and introspection rows: a bare Fastify app (same version,
 * no logger) with the same form parser as Portcullis, whose route answers `{}`. Whatever Portcullis
 * costs above this is its own work.
 */
export const start: TargetStarter = async () => {
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) =>
    done(null, parseForm(body as string)),
  );
  app.post('/empty', async () => ({}));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    port,
    info: { settings: { fastify: 'Fastify() defaults, no logger', parser: 'parseForm from src/authz/oauth-request.ts' }, path: '/empty' },
    close: () => app.close(),
  };
};
