import { formatScope } from '../../core/scope.ts';
import { hashSecret } from '../../core/secrets.ts';
import { isTokenLive } from '../../core/token-state.ts';
import { authenticateClient, clientGuard, readClientCredentials, requireConfidential } from '../client-auth.ts';
import type { AuthzContext } from '../context.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import { checkForm, checkHttps, checkRequired } from '../request-checks.ts';

/** RFC 7662 §2.2. An inactive token gets `{"active": false}` and nothing else. */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      username?: string;
      sub?: string;
      token_type?: 'Bearer';
      exp?: number;
      iat: number;
      iss: string;
    };

/**
 * The introspection endpoint. The caller must be a confidential client; it learns about its own
 * tokens, and about any token only if registered as a resource server (`introspect`). Anything
 * else, like an unknown, expired, revoked or rotated token, is simply inactive.
 * @see RFC 7662 §2
 */
export async function introspectionEndpoint(ctx: AuthzContext, request: OAuthRequest): Promise<IntrospectionResponse> {
  checkForm(request);
  await checkHttps(ctx, request);
  checkRequired(request, ['token']);
  const credentials = readClientCredentials(request);
  const caller = await authenticateClient(ctx.store, credentials, clientGuard(ctx, request));
  requireConfidential(caller, credentials);

  const now = ctx.clock.nowSeconds();
  const token = await ctx.store.findToken(hashSecret(request.params.token!));
  if (!token || !isTokenLive(token, now) || !(caller.introspect || token.clientId === caller.id)) {
    return { active: false };
  }
  const response: IntrospectionResponse = {
    active: true,
    scope: formatScope(token.scope),
    client_id: token.clientId,
    iat: token.issuedAt,
    iss: ctx.issuer,
  };
  if (token.username !== null) {
    response.username = token.username;
    response.sub = token.username;
  }
  if (token.kind === 'access') response.token_type = 'Bearer';
  if (token.expiresAt !== null) response.exp = token.expiresAt;
  return response;
}
