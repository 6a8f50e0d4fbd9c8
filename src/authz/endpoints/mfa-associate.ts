import { readBearer } from '../../core/bearer-token.ts';
import { AccessDenied, InvalidGrant, InvalidRequest, InvalidToken, Unauthorized } from '../../core/errors.ts';
import type { AuthzContext } from '../context.ts';
import { enrolTotp, otpIssuerName } from '../mfa-enrolment.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import { checkHttps } from '../request-checks.ts';
import { CHALLENGE_REFUSED, liveChallenge } from '../second-factor.ts';

/** Auth0's answer to an OTP association, which its SDKs read. */
export interface AssociateResponse {
  authenticator_type: 'otp';
  secret: string;
  barcode_uri: string;
  recovery_codes: string[];
}

/** The request's fields: a JSON object (Auth0's shape) or a form. */
function fields(request: OAuthRequest): Record<string, unknown> {
  if (request.json !== undefined) {
    if (typeof request.json !== 'object' || request.json === null || Array.isArray(request.json)) throw new InvalidRequest('the body must be a JSON object');
    return request.json as Record<string, unknown>;
  }
  if (request.formError !== undefined) throw new InvalidRequest('the body must be JSON or application/x-www-form-urlencoded');
  if (request.repeated.length > 0) throw new InvalidRequest(`parameter ${request.repeated[0]} must not be repeated`);
  return request.params;
}

/** The `mfa_token`: as a Bearer token (Auth0's shape) or in the body, not both. */
function mfaToken(request: OAuthRequest, body: Record<string, unknown>): string {
  const header = readBearer(request.authorization);
  if (header.kind === 'malformed') throw new InvalidRequest('the Authorization header is not a Bearer token (RFC 6750 §2.1)');
  const bearer = header.kind === 'token' ? header.token : undefined;
  const inBody = body.mfa_token;
  if (inBody !== undefined && typeof inBody !== 'string') throw new InvalidRequest('mfa_token must be a string');
  if (bearer !== undefined && inBody !== undefined) throw new InvalidRequest('send the mfa_token once: as a Bearer token or in the body');
  const token = bearer ?? inBody;
  if (token === undefined || token === '') throw new Unauthorized('an mfa_token is required, as a Bearer token');
  return token;
}

/** Only TOTP authenticators exist here; a request for others (SMS, push) is refused rather than ignored. */
function checkAuthenticatorTypes(body: Record<string, unknown>): void {
  const types = body.authenticator_types;
  if (types === undefined || types === 'otp') return;
  if (!Array.isArray(types) || !types.includes('otp') || types.some((type) => type !== 'otp')) {
    throw new InvalidRequest('authenticator_types: only ["otp"] is supported');
  }
}

/**
 * `POST /oauth/mfa/associate`, in Auth0's shape: with the `mfa_token` of a password login that answered
 * `mfa_required`, enrols a TOTP factor for its user and answers the secret, its `otpauth://` URI (for a
 * QR code) and ten recovery codes, once. The factor counts once a first code from it is accepted by the
 * `mfa-otp` grant with the same token. A user whose factor is confirmed is refused: only an
 * administrator resets a factor (docs/mfa.md "Enrolment"). Does NOT authenticate the client: the
 * token is bound to it.
 */
export async function mfaAssociateEndpoint(ctx: AuthzContext, request: OAuthRequest): Promise<AssociateResponse> {
  await checkHttps(ctx, request);
  const body = fields(request);
  const token = mfaToken(request, body);
  checkAuthenticatorTypes(body);
  let user;
  try {
    ({ user } = await liveChallenge(ctx, token, undefined));
  } catch (error) {
    if (error instanceof InvalidGrant) throw new InvalidToken(CHALLENGE_REFUSED);
    throw error;
  }
  const enrolment = await enrolTotp(ctx, user.username, { issuer: otpIssuerName(ctx.issuer), confirmed: false, replaceConfirmed: false });
  if (enrolment === undefined) throw new AccessDenied('this user already has a second factor; an administrator can reset it');
  ctx.audit.record({ at: ctx.clock.nowSeconds(), type: 'mfa.enrolled', ip: request.ip, username: user.username, detail: { via: 'associate', confirmed: false } });
  return { authenticator_type: 'otp', secret: enrolment.secret, barcode_uri: enrolment.uri, recovery_codes: enrolment.recoveryCodes };
}
