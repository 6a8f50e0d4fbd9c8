import { type Clock, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { SecretBox } from '../core/secret-box.ts';
import { type Enrolment, enrolTotp, otpIssuerName } from '../authz/mfa-enrolment.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';
import { requireUser } from './users.ts';

/** A user's second factor as the CLI and the admin API show it: never the secret. */
export async function describeMfa(store: Store, typed: string): Promise<Record<string, unknown>> {
  const { username } = await requireUser(store, typed);
  const factor = await store.findMfaFactor(username);
  return {
    username,
    enrolled: factor !== undefined && factor.confirmedAt !== null,
    pending: factor !== undefined && factor.confirmedAt === null,
    enrolled_at: factor?.confirmedAt === null || factor === undefined ? null : new Date(factor.confirmedAt * 1000).toISOString(),
    recovery_codes_left: factor?.recoveryCodesLeft ?? 0,
  };
}

/**
 * An administrator enrols a TOTP factor for a user (docs/mfa.md "Enrolment"): confirmed at once, so
 * the policy asks for it from the next login; the secret, its URI and the recovery codes are shown
 * this once, to hand to the user. A user who already has a confirmed factor is refused: reset first.
 */
export async function enrolUserMfa(store: Store, secretBox: SecretBox, typed: string, issuer: string, clock: Clock = systemClock): Promise<Enrolment> {
  const { username } = await requireUser(store, typed);
  const enrolment = await enrolTotp({ store, secretBox, clock }, username, { issuer: otpIssuerName(issuer), confirmed: true, replaceConfirmed: false });
  if (enrolment === undefined) throw new UserError(`${username} already has a second factor; reset it first`, 'conflict', 'username');
  await auditChange(store, clock, { type: 'mfa.enrolled', username, detail: { via: 'admin', confirmed: true } });
  return enrolment;
}

/** Removes a user's factor and recovery codes (a lost phone): the user enrols again where the policy requires it. */
export async function resetUserMfa(store: Store, typed: string, clock: Clock = systemClock): Promise<void> {
  const { username } = await requireUser(store, typed);
  if (!(await store.deleteMfaFactor(username))) throw new UserError(`${username} has no second factor`, 'not_found', 'username');
  await auditChange(store, clock, { type: 'mfa.reset', username });
}
