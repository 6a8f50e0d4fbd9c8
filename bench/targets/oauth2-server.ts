import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import ExpressOAuthServer from '@node-oauth/express-oauth-server';
import express from 'express';
import { MIN_ARGON2 } from '../../src/core/password-hash.ts';
import type { TargetStarter } from '../lib/target.ts';

const PASSWORD = 'correct horse battery staple';
const ACCESS_TOKEN_LIFETIME = 3600;

interface StoredClient {
  id: string;
  secretHash: Buffer;
  grants: string[];
}

interface StoredToken {
  accessToken: string;
  accessTokenExpiresAt?: Date;
  refreshToken?: string;
  refreshTokenExpiresAt?: Date;
  scope?: string[];
  client: { id: string };
  user: { id: string };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The @node-oauth/oauth2-server peer, deployed as its README recommends for Express: through the
 * official @node-oauth/express-oauth-server wrapper, behind express.urlencoded(). The model is the
 * in-memory one its documentation describes (Maps), with users' passwords as argon2id hashes of
 * the same parameters as Portcullis and client secrets compared as SHA-256 digests in constant
 * time, as Portcullis does. Refresh tokens rotate (the library's default, alwaysIssueNewRefreshToken).
 */
export const start: TargetStarter = async () => {
  const clients = new Map<string, StoredClient>();
  const users = new Map<string, { id: string; passwordHash: string }>();
  const accessTokens = new Map<string, StoredToken>();
  const refreshTokens = new Map<string, StoredToken>();

  const client: StoredClient = { id: randomUUID(), secretHash: sha256('bench-client-secret'), grants: ['password', 'refresh_token', 'client_credentials'] };
  clients.set(client.id, client);
  users.set('bench-user', { id: 'bench-user', passwordHash: await hash(PASSWORD, { algorithm: 2 as Algorithm, ...MIN_ARGON2 }) });

  const model = {
    async getClient(clientId: string, clientSecret: string | null) {
      const found = clients.get(clientId);
      if (!found) return false;
      if (clientSecret !== null && !timingSafeEqual(sha256(clientSecret), found.secretHash)) return false;
      return { id: found.id, grants: found.grants };
    },
    async getUser(username: string, password: string) {
      const user = users.get(username);
      if (!user) return false;
      return (await verify(user.passwordHash, password)) ? { id: user.id } : false;
    },
    async getUserFromClient(found: { id: string }) {
      return { id: `service:${found.id}` };
    },
    async saveToken(token: Omit<StoredToken, 'client' | 'user'>, savedClient: { id: string }, user: { id: string }) {
      const stored: StoredToken = { ...token, client: { id: savedClient.id }, user };
      accessTokens.set(token.accessToken, stored);
      if (token.refreshToken) refreshTokens.set(token.refreshToken, stored);
      return stored;
    },
    async getAccessToken(accessToken: string) {
      return accessTokens.get(accessToken) ?? false;
    },
    async getRefreshToken(refreshToken: string) {
      return refreshTokens.get(refreshToken) ?? false;
    },
    async revokeToken(token: StoredToken) {
      return token.refreshToken !== undefined && refreshTokens.delete(token.refreshToken);
    },
  };

  const app = express();
  const oauth = new ExpressOAuthServer({ model, accessTokenLifetime: ACCESS_TOKEN_LIFETIME });
  app.use(express.urlencoded({ extended: false }));
  app.post('/oauth/token', oauth.token());
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    info: {
      settings: {
        packages: '@node-oauth/oauth2-server 5.3.0 via @node-oauth/express-oauth-server 4.2.0 on express 5',
        model: 'in-memory Maps; argon2id ' + JSON.stringify(MIN_ARGON2) + ' for users; SHA-256 + timingSafeEqual for client secrets',
        options: { accessTokenLifetime: ACCESS_TOKEN_LIFETIME, alwaysIssueNewRefreshToken: 'true (default)' },
        uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (libuv default)',
      },
      username: 'bench-user',
      password: PASSWORD,
      client: { id: client.id, secret: 'bench-client-secret' },
      paths: { token: '/oauth/token' },
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
