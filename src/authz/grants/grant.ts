import type { Client, GrantType } from '../../core/model.ts';
import type { AuthzContext } from '../context.ts';
import type { TokenResponse } from '../token-response.ts';
import type { OAuthRequest } from '../oauth-request.ts';

/**
 * One grant type of the token endpoint, in the shape node-oidc-provider uses: its name, the
 * parameters it requires, and the handler that runs once the endpoint has validated the request,
 * authenticated the client and checked that the client may use this grant.
 */
export interface Grant {
  grantType: GrantType;
  /** Other names the token endpoint takes for this grant (Auth0's MFA grant types); a client is allowed it by `grantType`. */
  aliases?: readonly string[];
  /** Request parameters that must be present; a missing one is `invalid_request`. */
  parameters: readonly string[];
  /** Refused to public clients regardless of registration (RFC 6749 §4.4). */
  confidentialOnly: boolean;
  handler(ctx: AuthzContext, request: OAuthRequest, client: Client): Promise<TokenResponse>;
}
