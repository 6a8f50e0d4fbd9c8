import { randomUUID } from 'node:crypto';
import { InvalidGrant } from '../../core/errors.ts';
import type { AuthorizationCode } from '../../core/model.ts';
import { verifierMatches } from '../../core/pkce.ts';
import { hashSecret } from '../../core/secrets.ts';
import type { AuthzContext } from '../context.ts';
import { withIdToken } from '../id-token.ts';
import { issuesRefreshToken, mintTokens } from '../issue-tokens.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import type { Grant } from './grant.ts';

/** Every refusal of a code is the same answer: nothing tells a guesser which check failed. */
const refused = () => new InvalidGrant('invalid authorization code');

/**
 * A spent code presented again (RFC 6749 §4.1.2, §10.5; RFC 9700 §4.5): whoever presents it now,
 * the tokens its first use produced are revoked, since one of the two presenters stole it.
 */
async function replayed(ctx: AuthzContext, request: OAuthRequest, code: AuthorizationCode): Promise<never> {
  const now = ctx.clock.nowSeconds();
  const familyId = code.familyId ?? (await ctx.store.findAuthorizationCode(code.hash))?.familyId ?? null;
  if (familyId !== null) await ctx.store.revokeFamily(familyId, now);
  ctx.audit.record({
    at: now,
    type: 'code.replayed',
    ip: request.ip,
    clientId: code.clientId,
    username: code.username,
    detail: familyId === null ? {} : { family: familyId },
  });
  throw refused();
}

/**
 * RFC 6749 §4.1.3: the token request must name the redirect URI when the authorization request
 * did, and then the same one; when it did not, a redirect URI sent anyway must still be the one used.
 */
function redirectUriMatches(code: AuthorizationCode, presented: string | undefined): boolean {
  if (presented === undefined) return !code.redirectUriGiven;
  return presented === code.redirectUri;
}

/**
 * RFC 7636 §4.6: with a challenge, the verifier must hash to it. Without one, a verifier sent
 * anyway is refused, so that PKCE cannot be stripped from the authorization request by an
 * attacker who then redeems with a verifier of their own choosing (RFC 9700 §4.8.2).
 */
function pkceMatches(code: AuthorizationCode, verifier: string | undefined): boolean {
  if (code.codeChallenge === null) return verifier === undefined;
  return verifier !== undefined && verifierMatches(verifier, code.codeChallenge);
}

/**
 * Authorization Code grant with PKCE. The code must be live, this client's, unspent, sent with the
 * same redirect URI and a matching `code_verifier`; it is spent atomically as its token family
 * starts, so two presentations of one code have one winner and the other revokes what it got.
 * Refresh tokens come as for the password grant. A failed check leaves the code alone (the
 * presenter may be guessing); a code of another client is answered like an unknown one.
 * @see RFC 6749 §4.1.3, §4.1.4; RFC 7636 §4.5, §4.6
 */
export const authorizationCodeGrant: Grant = {
  grantType: 'authorization_code',
  parameters: ['code'],
  confidentialOnly: false,
  async handler(ctx, request, client) {
    const now = ctx.clock.nowSeconds();
    const hash = hashSecret(request.params.code!);
    const code = await ctx.store.findAuthorizationCode(hash);
    if (!code || code.clientId !== client.id) throw refused();
    if (code.usedAt !== null) return replayed(ctx, request, code);
    if (now >= code.expiresAt) throw refused();
    if (!redirectUriMatches(code, request.params.redirect_uri)) throw refused();
    if (!pkceMatches(code, request.params.code_verifier)) throw refused();
    // The user may have been disabled since the sign-in (disabling deletes codes; this closes the race).
    const user = await ctx.store.findUser(code.username);
    if (!user?.enabled) throw refused();

    // The scope the user approved, less anything the client has lost since.
    const scope = code.scope.filter((name) => client.scopes.includes(name));
    const familyId = randomUUID();
    const minted = await mintTokens(ctx, client, await ctx.settings.get(), now, {
      familyId,
      username: code.username,
      scope,
      withRefresh: issuesRefreshToken(client),
      resource: request.params.resource,
    });
    const authentication = { authTime: code.authTime, amr: code.amr };
    const outcome = await ctx.store.redeemAuthorizationCode({
      hash,
      now,
      family: { id: familyId, clientId: client.id, username: code.username, scope, refreshCount: 0, createdAt: now, revokedAt: null, authentication },
      tokens: minted.records,
    });
    if (outcome === 'already_used') return replayed(ctx, request, { ...code, familyId: null });
    if (outcome === 'not_live') throw refused();
    ctx.audit.record({
      at: now,
      type: 'token.issued',
      ip: request.ip,
      clientId: client.id,
      username: code.username,
      detail: { grant_type: 'authorization_code', family: familyId },
    });
    // OpenID Connect Core §3.1.3.3: with `openid`, the ID token of the sign-in the code came from.
    return withIdToken(ctx, client, minted.response, { username: code.username, scope, authentication, nonce: code.nonce });
  },
};
