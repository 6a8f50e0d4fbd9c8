import { InvalidGrant, TooManyAttempts } from '../core/errors.ts';
import type { Client, MfaChallenge, Settings, User } from '../core/model.ts';
import { generateSecret, hashSecret } from '../core/secrets.ts';
import { matchTotp, normalizeRecoveryCode } from '../core/totp.ts';
import type { AuthzContext } from './context.ts';
import { Throttled } from './throttle.ts';

/** An `mfa_token` lives this long (docs/mfa.md). */
export const MFA_TOKEN_TTL_SECONDS = 300;
/** Code guesses one `mfa_token` allows, as Auth0's bucket does; the user's own budget is the throttle's. */
export const MFA_TOKEN_ATTEMPTS = 10;

/**
 * The authentication methods of a login (RFC 8176 §2), for the login session, the code and ID tokens:
 * a password alone is `pwd`; with a TOTP code `otp` (RFC 8176 names RFC 6238) and `mfa`; with a
 * recovery code `mfa` only, since a printed single-use code is no OTP algorithm of RFC 8176's `otp`.
 */
export const AMR = {
  password: ['pwd'],
  otp: ['pwd', 'otp', 'mfa'],
  recoveryCode: ['pwd', 'mfa'],
} as const satisfies Record<string, readonly string[]>;

/** The context in which a factor's secret is sealed under the server key: a sealed secret moved to another user does not open. */
export function mfaSealContext(username: string): string {
  return `mfa:${username}`;
}

/** Whether the MFA policy makes this user give a second factor when logging in through this client, enrolled or not. */
export function mfaRequired(settings: Settings, user: User, client: Client): boolean {
  if (settings.mfaPolicy !== 'required') return false;
  const { mfaRequiredGroups: groups, mfaRequiredClients: clients } = settings;
  if (groups.length === 0 && clients.length === 0) return true;
  return clients.includes(client.id) || user.groups.some((group) => groups.includes(group));
}

/**
 * Whether a login that has just proved its password must also give a second factor (docs/mfa.md
 * "Policy"): under `off` nobody; a user the `required` policy names always (enrolled or not: one
 * without a factor enrols with the `mfa_token`); anybody else only once enrolled.
 */
export async function secondFactorAsked(ctx: AuthzContext, user: User, client: Client): Promise<boolean> {
  const settings = await ctx.settings.get();
  if (settings.mfaPolicy === 'off') return false;
  if (mfaRequired(settings, user, client)) return true;
  const factor = await ctx.store.findMfaFactor(user.username);
  return factor?.confirmedAt !== undefined && factor.confirmedAt !== null;
}

/**
 * Starts an MFA challenge after a correct password: a new `mfa_token` (256 random bits, stored only as
 * a hash), bound to the client, the user and the scope, for `MFA_TOKEN_TTL_SECONDS`. Audited as `mfa.required`.
 */
export async function startMfaChallenge(
  ctx: AuthzContext,
  user: User,
  client: Client,
  scope: string[],
  ip: string | null,
): Promise<{ token: string; challenge: MfaChallenge }> {
  const token = generateSecret();
  const now = ctx.clock.nowSeconds();
  const saved = { hash: hashSecret(token), clientId: client.id, username: user.username, scope, createdAt: now, expiresAt: now + MFA_TOKEN_TTL_SECONDS };
  await ctx.store.saveMfaChallenge(saved);
  ctx.audit.record({ at: now, type: 'mfa.required', ip, clientId: client.id, username: user.username });
  return { token, challenge: { ...saved, attempts: 0, usedAt: null } };
}

/**
 * The live, unused challenge of an `mfa_token` presented by `client`, with its user (still enabled).
 * A token that is unknown, expired, spent, issued to another client or whose user is gone or disabled
 * is `invalid_grant`, all alike.
 */
export async function liveChallenge(ctx: AuthzContext, token: string, client: Client | undefined): Promise<{ challenge: MfaChallenge; user: User }> {
  const challenge = await ctx.store.findMfaChallenge(hashSecret(token));
  if (!challenge || challenge.usedAt !== null || challenge.expiresAt <= ctx.clock.nowSeconds()) throw challengeRefused();
  if (client !== undefined && challenge.clientId !== client.id) throw challengeRefused();
  const user = await ctx.store.findUser(challenge.username);
  if (!user?.enabled) throw challengeRefused();
  return { challenge, user };
}

/** Every way an `mfa_token` can be unusable gets this one answer, so that none tells them apart. */
export function challengeRefused(): InstanceType<typeof InvalidGrant> {
  return new InvalidGrant(CHALLENGE_REFUSED);
}

/** The text of that answer (the enrolment endpoint gives it as `invalid_token`). */
export const CHALLENGE_REFUSED = 'the mfa_token is invalid, expired or already used';

/** Spends a challenge once its second factor proved right; a racing redemption that lost is refused. */
export async function consumeChallenge(ctx: AuthzContext, challenge: MfaChallenge): Promise<void> {
  if (!(await ctx.store.consumeMfaChallenge(challenge.hash, ctx.clock.nowSeconds()))) {
    throw challengeRefused();
  }
}

/** Where a second-factor attempt came from, for the throttle and the audit log. */
export interface FactorAttempt {
  username: string;
  ip: string;
  clientId: string;
  /** The challenge the code is presented against, whose own bound of guesses applies; none for `otp` on the password grant. */
  challenge?: MfaChallenge;
  /** The surface, for the audit record: `token` (the grant) or `authorize` (the sign-in page). */
  via: 'token' | 'authorize';
}

type FactorKind = 'otp' | 'recovery_code';

/**
 * Runs one second-factor check with its throttle and audit, in this order: the user's budget of
 * guesses (counted before the check, so parallel guesses cannot pass it together), the challenge's
 * own bound, then `check`. Failures are counted and audited with their reason; a success clears the
 * user's count. Throws `too_many_attempts` or `invalid_grant`.
 */
async function checkFactor(
  ctx: AuthzContext,
  attempt: FactorAttempt,
  kind: FactorKind,
  check: () => Promise<'ok' | 'wrong' | 'replayed' | 'not_enrolled'>,
): Promise<void> {
  const record = (type: 'mfa.failed' | 'mfa.throttled' | 'mfa.succeeded', reason?: string) =>
    ctx.audit.record({
      at: ctx.clock.nowSeconds(),
      type,
      ip: attempt.ip,
      clientId: attempt.clientId,
      username: attempt.username,
      ...(reason !== undefined ? { reason } : {}),
      detail: { method: kind, via: attempt.via },
    });
  try {
    await ctx.throttle.beforeSecondFactor(attempt.username);
  } catch (error) {
    if (error instanceof Throttled) record('mfa.throttled', 'user_otp');
    throw error;
  }
  if (attempt.challenge && !(await ctx.store.countMfaAttempt(attempt.challenge.hash, ctx.clock.nowSeconds(), MFA_TOKEN_ATTEMPTS))) {
    // The guess was never checked: handed back to the user's budget. The token is done for: spent
    // meanwhile (a racing redemption won), expired, or out of guesses.
    await ctx.throttle.secondFactorUnchecked(attempt.username);
    const now = await ctx.store.findMfaChallenge(attempt.challenge.hash);
    if (!now || now.usedAt !== null || now.expiresAt <= ctx.clock.nowSeconds()) throw challengeRefused();
    record('mfa.throttled', 'mfa_token');
    throw new TooManyAttempts('too many wrong codes for this mfa_token; sign in again', { retryAfterSeconds: 1 });
  }
  const outcome = await check();
  if (outcome === 'ok') {
    await ctx.throttle.secondFactorSucceeded(attempt.username);
    record('mfa.succeeded');
    return;
  }
  await ctx.throttle.secondFactorFailed(attempt.username);
  record('mfa.failed', outcome === 'wrong' ? `wrong_${kind}` : outcome === 'replayed' ? 'replayed_otp' : 'not_enrolled');
  if (outcome === 'replayed') throw new InvalidGrant('this one-time password was already used; wait for the next one', { field: 'otp' });
  throw new InvalidGrant(kind === 'otp' ? 'the one-time password is wrong' : 'the recovery code is wrong or already used', { field: kind });
}

/**
 * Checks a TOTP code (RFC 6238, one step either side) of the user's factor, confirmed or newly
 * enrolled. Each time step is accepted once: the store remembers the last accepted step and takes a
 * later one only, atomically, so a replayed code (on any instance) is refused.
 */
export async function verifyOtp(ctx: AuthzContext, attempt: FactorAttempt, otp: string): Promise<void> {
  await checkFactor(ctx, attempt, 'otp', async () => {
    const factor = await ctx.store.findMfaFactor(attempt.username);
    if (!factor) return 'not_enrolled';
    const secret = ctx.secretBox.open(factor.secretSealed, mfaSealContext(factor.username)).toString('utf8');
    const step = matchTotp(secret, otp.trim(), ctx.clock.nowSeconds() * 1000);
    if (step === undefined) return 'wrong';
    return (await ctx.store.useTotpStep(factor.username, step, ctx.clock.nowSeconds())) ? 'ok' : 'replayed';
  });
}

/** Checks and spends one of the user's recovery codes (stored as SHA-256 hashes), atomically. */
export async function verifyRecoveryCode(ctx: AuthzContext, attempt: FactorAttempt, code: string): Promise<void> {
  await checkFactor(ctx, attempt, 'recovery_code', async () => {
    const spent = await ctx.store.spendRecoveryCode(attempt.username, hashSecret(normalizeRecoveryCode(code)), ctx.clock.nowSeconds());
    return spent ? 'ok' : 'wrong';
  });
}
