import { UnauthorizedClient, UnsupportedGrantType } from '../../core/errors.ts';
import type { Client, GrantType } from '../../core/model.ts';
import { authenticateClient, clientGuard, readClientCredentials } from '../client-auth.ts';
import type { AuthzContext } from '../context.ts';
import { authorizationCodeGrant } from '../grants/authorization-code.ts';
import { clientCredentialsGrant } from '../grants/client-credentials.ts';
import type { Grant } from '../grants/grant.ts';
import { mfaOtpGrant, mfaRecoveryCodeGrant } from '../grants/mfa.ts';
import { passwordGrant } from '../grants/password.ts';
import { refreshTokenGrant } from '../grants/refresh-token.ts';
import type { TokenResponse } from '../token-response.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import { checkForm, checkHttps, checkRequired } from '../request-checks.ts';

const grants = new Map<string, Grant>(
  [passwordGrant, refreshTokenGrant, clientCredentialsGrant, authorizationCodeGrant, mfaOtpGrant, mfaRecoveryCodeGrant].flatMap((grant) =>
    [grant.grantType, ...(grant.aliases ?? [])].map((name): [string, Grant] => [name, grant]),
  ),
);

export const supportedGrantTypes = [...grants.keys()];

function findGrant(request: OAuthRequest): Grant {
  const grant = grants.get(request.params.grant_type!);
  // The value is not echoed: error bodies never repeat what the client sent.
  if (!grant) throw new UnsupportedGrantType(`supported grant types: ${supportedGrantTypes.join(', ')}`);
  return grant;
}

function checkGrantAllowed(client: Client, grant: Grant): void {
  if (!client.grants.includes(grant.grantType) || (grant.confidentialOnly && client.type !== 'confidential')) {
    throw new UnauthorizedClient(`this client may not use the ${grant.grantType} grant`);
  }
}

/** A successful token request: the RFC 6749 §5.1 answer, and the grant that produced it (for metrics). */
export interface IssuedTokens {
  grantType: GrantType;
  response: TokenResponse;
}

/**
 * The token endpoint. The checks run in the order docs/oauth.md gives, and the order is the security: the
 * client and its right to the grant are settled before any grant handler touches a password.
 * @see RFC 6749 §3.2, §4.1.3, §4.3, §4.4, §6
 */
export async function tokenEndpoint(ctx: AuthzContext, request: OAuthRequest): Promise<IssuedTokens> {
  checkForm(request);
  checkRequired(request, ['grant_type']);
  await checkHttps(ctx, request);
  const grant = findGrant(request);
  checkRequired(request, grant.parameters);
  const client = await authenticateClient(ctx.store, readClientCredentials(request), clientGuard(ctx, request));
  checkGrantAllowed(client, grant);
  return { grantType: grant.grantType, response: await grant.handler(ctx, request, client) };
}

