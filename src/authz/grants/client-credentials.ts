import { issueNewGrant } from '../issue-tokens.ts';
import { resolveRequestedScope } from '../requested-scope.ts';
import type { Grant } from './grant.ts';

/**
 * Client Credentials grant: confidential clients only, and never a refresh token (RFC 6749 §4.4.3).
 * @see RFC 6749 §4.4
 */
export const clientCredentialsGrant: Grant = {
  grantType: 'client_credentials',
  parameters: [],
  confidentialOnly: true,
  async handler(ctx, request, client) {
    const scope = resolveRequestedScope(client, request.params.scope);
    return issueNewGrant(ctx, client, { username: null, scope, withRefresh: false, resource: request.params.resource }, request.ip);
  },
};
