import { hashSecret } from '../../core/secrets.ts';
import { authenticateClient, clientGuard, readClientCredentials } from '../client-auth.ts';
import type { AuthzContext } from '../context.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import { checkForm, checkHttps, checkRequired } from '../request-checks.ts';

/**
 * The revocation endpoint. Revoking either token of a grant revokes its whole family, so an access
 * token takes its refresh token with it and the reverse (RFC 7009 §2.1); a client credentials token
 * is a grant of its own. An unknown or already
 * dead token is answered 200, as the RFC says, since the client's goal is met. A token issued to
 * another client is left alone and answered 200 too: a refusal would tell a public client, which
 * anyone can act as, whether a token exists (RFC 7009 §2.2 lets the server answer 200 here).
 * @see RFC 7009 §2
 */
export async function revocationEndpoint(ctx: AuthzContext, request: OAuthRequest): Promise<void> {
  checkForm(request);
  await checkHttps(ctx, request);
  checkRequired(request, ['token']);
  const client = await authenticateClient(ctx.store, readClientCredentials(request), clientGuard(ctx, request));

  const token = await ctx.store.findToken(hashSecret(request.params.token!));
  // Unknown and another client's are one answer: no oracle for whether a token exists.
  if (!token || token.clientId !== client.id) return;
  const now = ctx.clock.nowSeconds();
  if (await ctx.store.revokeGrant(token, now)) {
    ctx.audit.record({
      at: now,
      type: 'token.revoked',
      ip: request.ip,
      clientId: client.id,
      username: token.username,
      detail: { family: token.familyId, via: 'revocation_endpoint', kind: token.kind },
    });
  }
}
