import { InvalidRequest } from '../core/errors.ts';
import type { AuthzContext } from './context.ts';
import { isLoopback, type OAuthRequest } from './oauth-request.ts';

/** RFC 6749 §3.2: a form-encoded POST, no parameter repeated. */
export function checkForm(request: OAuthRequest): void {
  if (request.formError !== undefined) throw new InvalidRequest(request.formError);
  if (request.repeated.length > 0) {
    throw new InvalidRequest(`parameter ${request.repeated[0]} must not be repeated`);
  }
}

/** Parameters every request to this endpoint must carry (missing or empty → `invalid_request`). */
export function checkRequired(request: OAuthRequest, names: readonly string[]): void {
  for (const name of names) {
    if (request.params[name] === undefined) throw new InvalidRequest(`missing parameter ${name}`);
  }
}

/** Says what to do, not only what is wrong: the caller is often the operator trying things out. */
export const HTTPS_REQUIRED =
  'HTTPS is required: call over https:// (serve with tls_cert and tls_key, or behind a TLS proxy listed in trusted_proxies); see docs/security.md#tls-and-require-https';

/**
 * Require-HTTPS (docs/security.md, Integration Server's "Require HTTPS"): plain HTTP is refused unless the
 * client is on a loopback address. RFC 6749 §3.2 requires TLS at the token endpoint; the admin
 * console and API take the administrator's password and session cookie, so they are held to it too.
 */
export async function checkHttps(ctx: AuthzContext, request: Pick<OAuthRequest, 'secure' | 'ip'>): Promise<void> {
  if (request.secure || isLoopback(request.ip)) return;
  if ((await ctx.settings.get()).requireHttps) throw new InvalidRequest(HTTPS_REQUIRED);
}
