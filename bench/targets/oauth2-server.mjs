// The @node-oauth/oauth2-server peer as its README deploys it for Express: the official
// @node-oauth/express-oauth-server wrapper behind express.urlencoded(), in a plain `node` process.
//   node bench/targets/oauth2-server.mjs ['{"port":3000}']
// The model is the in-memory one its documentation describes (Maps), with users' passwords as
// argon2id hashes of Portcullis's parameters and client secrets compared as SHA-256 digests in
// constant time, as Portcullis does. Refresh tokens rotate (alwaysIssueNewRefreshToken, the
// library's default). Authorization codes, with their PKCE challenge, are put in the model by the
// runner (`seedCodes`), as its authorize endpoint would have stored them.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import ExpressOAuthServer from '@node-oauth/express-oauth-server';
import express from 'express';
import { announce, argon2Options, serveRequests, targetOptions } from './announce.mjs';

const PASSWORD = 'correct horse battery staple';
const CLIENT_SECRET = 'bench-client-secret';
const ACCESS_TOKEN_LIFETIME = 3600;
const REDIRECT_URI = 'http://127.0.0.1/bench/callback';

const options = targetOptions();
const argon2 = argon2Options(options);
const sha256 = (text) => createHash('sha256').update(text).digest();

const clients = new Map();
const users = new Map();
const accessTokens = new Map();
const refreshTokens = new Map();
const codes = new Map();

const client = { id: randomUUID(), secretHash: sha256(CLIENT_SECRET), grants: ['password', 'refresh_token', 'client_credentials', 'authorization_code'], redirectUris: [REDIRECT_URI] };
clients.set(client.id, client);
users.set('bench-user', { id: 'bench-user', passwordHash: await hash(PASSWORD, argon2) });

const model = {
  async getClient(clientId, clientSecret) {
    const found = clients.get(clientId);
    if (!found) return false;
    if (clientSecret !== null && !timingSafeEqual(sha256(clientSecret), found.secretHash)) return false;
    return { id: found.id, grants: found.grants, redirectUris: found.redirectUris };
  },
  async getUser(username, password) {
    const user = users.get(username);
    if (!user) return false;
    return (await verify(user.passwordHash, password)) ? { id: user.id } : false;
  },
  async getUserFromClient(found) {
    return { id: `service:${found.id}` };
  },
  async saveToken(token, savedClient, user) {
    const stored = { ...token, client: { id: savedClient.id }, user };
    accessTokens.set(token.accessToken, stored);
    if (token.refreshToken) refreshTokens.set(token.refreshToken, stored);
    return stored;
  },
  async getAccessToken(accessToken) {
    return accessTokens.get(accessToken) ?? false;
  },
  async getRefreshToken(refreshToken) {
    return refreshTokens.get(refreshToken) ?? false;
  },
  async revokeToken(token) {
    return token.refreshToken !== undefined && refreshTokens.delete(token.refreshToken);
  },
  async getAuthorizationCode(code) {
    return codes.get(code) ?? false;
  },
  async revokeAuthorizationCode(code) {
    return codes.delete(code.authorizationCode);
  },
};

const app = express();
const oauth = new ExpressOAuthServer({ model, accessTokenLifetime: ACCESS_TOKEN_LIFETIME });
app.use(express.urlencoded({ extended: false }));
app.post('/oauth/token', oauth.token());
const server = app.listen(options.port ?? 0, '127.0.0.1', () => {
  announce({
    port: server.address().port,
    info: {
      settings: {
        packages: '@node-oauth/oauth2-server 5.3.0 via @node-oauth/express-oauth-server 4.2.0 on express 5.3.0, plain node',
        model: `in-memory Maps; argon2id ${JSON.stringify(argon2)} for users; SHA-256 + timingSafeEqual for client secrets; codes with S256 PKCE`,
        options: { accessTokenLifetime: ACCESS_TOKEN_LIFETIME, alwaysIssueNewRefreshToken: 'true (default)' },
        uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (libuv default)',
      },
      username: 'bench-user',
      password: PASSWORD,
      client: { id: client.id, secret: CLIENT_SECRET },
      codeClient: { id: client.id, secret: CLIENT_SECRET, redirectUri: REDIRECT_URI },
      paths: { token: '/oauth/token' },
    },
  });
});

serveRequests({
  /** Stores `count` codes named `${prefix}${i}`, as the authorize endpoint would, each for ten minutes. */
  async seedCodes({ prefix, count, codeChallenge }) {
    const expiresAt = new Date(Date.now() + 600_000);
    for (let i = 0; i < count; i++) {
      const authorizationCode = `${prefix}${i}`;
      codes.set(authorizationCode, {
        authorizationCode,
        expiresAt,
        redirectUri: REDIRECT_URI,
        scope: ['bench'],
        client: { id: client.id },
        user: { id: 'bench-user' },
        codeChallenge,
        codeChallengeMethod: 'S256',
      });
    }
    return codes.size;
  },
});
