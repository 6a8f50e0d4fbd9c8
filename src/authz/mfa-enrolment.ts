import type { Clock } from '../core/clock.ts';
import type { SecretBox } from '../core/secret-box.ts';
import { hashSecret } from '../core/secrets.ts';
import { newRecoveryCodes, newTotpSecret, normalizeRecoveryCode, totpUri } from '../core/totp.ts';
import type { MfaStore } from '../store/store.ts';
import { mfaSealContext } from './second-factor.ts';

/** A new TOTP factor as shown once to its user: the secret, its `otpauth://` URI and the recovery codes. */
export interface Enrolment {
  secret: string;
  uri: string;
  recoveryCodes: string[];
}

/**
 * Enrols a TOTP factor for a user (docs/mfa.md "Enrolment"): a new secret, sealed under the server
 * key, and ten new recovery codes, stored as hashes; the plain values exist only in the answer. The
 * factor is confirmed by the first code accepted from it, unless `confirmed` (an administrator's
 * enrolment). An unconfirmed factor is replaced, keeping its secret when `keepSecret` (the sign-in
 * page shown again after a wrong code: the app already scanned it); a confirmed one only with
 * `replaceConfirmed`. Resolves with `undefined` when the user already has a confirmed factor.
 */
export async function enrolTotp(
  deps: { store: MfaStore; secretBox: SecretBox; clock: Clock },
  username: string,
  options: { issuer: string; confirmed: boolean; replaceConfirmed: boolean; keepSecret?: boolean },
): Promise<Enrolment | undefined> {
  const existing = options.keepSecret ? await deps.store.findMfaFactor(username) : undefined;
  const context = mfaSealContext(username);
  const secret = existing && existing.confirmedAt === null ? deps.secretBox.open(existing.secretSealed, context).toString('utf8') : newTotpSecret();
  const recoveryCodes = newRecoveryCodes();
  const now = deps.clock.nowSeconds();
  const saved = await deps.store.saveMfaFactor({
    username,
    secretSealed: deps.secretBox.seal(secret, context),
    createdAt: now,
    confirmedAt: options.confirmed ? now : null,
    replaceConfirmed: options.replaceConfirmed,
    recoveryCodeHashes: recoveryCodes.map((code) => hashSecret(normalizeRecoveryCode(code))),
  });
  if (!saved) return undefined;
  return { secret, uri: totpUri(secret, options.issuer, username), recoveryCodes };
}

/** The issuer name authenticator apps show next to the account: the server's host. */
export function otpIssuerName(issuer: string): string {
  return URL.canParse(issuer) ? `Portcullis (${new URL(issuer).host})` : 'Portcullis';
}
