/**
 * Portcullis alone under one load at a time, for the quick before/after of a change (no bounds,
 * no peers, nothing written): CPU per request, throughput, p99 and peak RSS of `portcullis serve`.
 *
 *   npm run bench:probe                                   # introspection and client credentials, 4 s each
 *   npm run bench:probe -- --duration 8 introspection
 *   npm run bench:probe -- --instant-hash password        # a hasher that does no work (in-process target)
 *   npm run bench:probe -- refresh                        # refresh with rotation (tokens seeded by password grants)
 */
import { parseArgs } from 'node:util';
import { basicAuth, FORM, form, postForm } from './lib/forms.ts';
import { measureHttp } from './lib/load.ts';
import { spawnTarget } from './lib/spawn.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '4' },
    connections: { type: 'string', default: '32' },
    'instant-hash': { type: 'boolean', default: false },
  },
});
const loads = positionals.length > 0 ? positionals : ['introspection', 'client-credentials'];

const target = await spawnTarget('portcullis', { instantHash: values['instant-hash'] }, { env: { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '2' } });
try {
  const info = target.info as {
    serviceClient: { id: string; secret: string };
    jwtServiceClient: { id: string; secret: string };
    ropcClient: { id: string; secret: string };
    username: string;
    password: string;
  };
  const service = basicAuth(info.serviceClient.id, info.serviceClient.secret);
  const jwtService = basicAuth(info.jwtServiceClient.id, info.jwtServiceClient.secret);
  const tokens: string[] = [];
  for (let i = 0; i < 64; i++) {
    const answer = await postForm(`${target.url}/oauth/token`, { grant_type: 'client_credentials' }, service);
    tokens.push(form({ token: answer.access_token as string }));
  }
  const ropc = basicAuth(info.ropcClient.id, info.ropcClient.secret);
  // Refresh tokens rotate: each answer gives back the token the next request presents.
  const refreshTokens: string[] = [];
  if (loads.includes('refresh')) {
    const connections = Number(values.connections);
    for (let seeded = 0; seeded < connections * 4; seeded += 16) {
      const answers = await Promise.all(
        Array.from({ length: 16 }, () => postForm(`${target.url}/oauth/token`, { grant_type: 'password', username: info.username, password: info.password }, ropc)),
      );
      for (const answer of answers) refreshTokens.push(answer.refresh_token as string);
    }
  }
  const rotating = {
    nextBody: () => form({ grant_type: 'refresh_token', refresh_token: refreshTokens.shift() ?? 'pool-exhausted' }),
    onBody: (status: number, body: string) => {
      if (status === 200) refreshTokens.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
    },
  };
  const requests: Record<string, { path: string; authorization: string; bodies?: string[]; chain?: typeof rotating }> = {
    introspection: { path: '/oauth/introspect', authorization: service, bodies: tokens },
    'client-credentials': { path: '/oauth/token', authorization: service, bodies: [form({ grant_type: 'client_credentials' })] },
    'client-credentials-jwt': { path: '/oauth/token', authorization: jwtService, bodies: [form({ grant_type: 'client_credentials' })] },
    password: {
      path: '/oauth/token',
      authorization: ropc,
      bodies: [form({ grant_type: 'password', username: info.username, password: info.password })],
    },
    refresh: { path: '/oauth/token', authorization: ropc, chain: rotating },
  };
  for (const name of loads) {
    const load = requests[name];
    if (!load) throw new Error(`unknown load ${name}: one of ${Object.keys(requests).join(', ')}`);
    const result = await measureHttp(
      {
        url: target.url,
        connections: Number(values.connections),
        duration: Number(values.duration),
        warmup: 1,
        request: { path: load.path, headers: { 'content-type': FORM, authorization: load.authorization } },
        ...(load.bodies && { bodies: load.bodies }),
        ...load.chain,
      },
      target,
    );
    console.log(
      `${name.padEnd(19)} ${result.cpuPerRequestUs?.toFixed(0).padStart(5)} µs CPU/req  ${result.throughput.toFixed(0).padStart(6)} req/s  ` +
        `p99 ${result.p99.toFixed(2)} ms  peak RSS ${((result.peakRss ?? 0) / 1e6).toFixed(0)} MB  failures ${result.failures}`,
    );
  }
} finally {
  await target.stop();
}
