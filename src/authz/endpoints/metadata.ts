import { SIGNING_ALGORITHMS } from '../../core/model.ts';
import type { AuthzContext } from '../context.ts';
import { supportedGrantTypes } from './token.ts';

/**
 * Authorization server metadata.
 * @see RFC 8414 §2
 */
export async function metadataEndpoint(ctx: AuthzContext): Promise<Record<string, unknown>> {
  const base = ctx.issuer.replace(/\/$/, '');
  const scopes = await ctx.store.listScopes();
  return {
    issuer: ctx.issuer,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    introspection_endpoint: `${base}/oauth/introspect`,
    revocation_endpoint: `${base}/oauth/revoke`,
    jwks_uri: `${base}/oauth/jwks`,
    grant_types_supported: supportedGrantTypes,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    // RFC 8414 §2 lets a server omit scopes it does not want to advertise: only those marked public.
    scopes_supported: scopes.filter((scope) => scope.public).map((scope) => scope.name),
  };
}

/**
 * OpenID Provider metadata: the RFC 8414 document with the OpenID fields.
 * @see OpenID Connect Discovery 1.0 §3
 */
export async function openidConfiguration(ctx: AuthzContext): Promise<Record<string, unknown>> {
  const base = ctx.issuer.replace(/\/$/, '');
  return {
    ...(await metadataEndpoint(ctx)),
    userinfo_endpoint: `${base}/oauth/userinfo`,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'amr', 'preferred_username', 'groups', 'name', 'email'],
  };
}
