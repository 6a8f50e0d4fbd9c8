import { OPENID_SCOPE } from '../authz/id-token.ts';
import type { Clock } from '../core/clock.ts';
import { ADMIN_GROUP, ADMIN_USER } from '../core/model.ts';
import { ConfigError } from '../core/errors.ts';
import type { PasswordHasher } from '../core/password-hash.ts';
import { passwordProblem } from '../core/password-policy.ts';
import { generateSecret } from '../core/secrets.ts';
import { ConflictError, type Store } from '../store/store.ts';

export interface BootstrapResult {
  /** Set when the administrator account was created now. */
  createdAdmin: boolean;
  /** The generated password, when none was given; shown once to the operator and never logged. */
  generatedPassword?: string;
}

/**
 * Prepares a database for use: the built-in `Administrators` group always exists, and a database
 * where it has no member (a new one) gets the `Administrator` account, as Integration Server ships it.
 * Users created from the CLI before the first start do not prevent this.
 */
export async function bootstrap(
  store: Store,
  hasher: PasswordHasher,
  clock: Clock,
  adminPassword: string | undefined,
): Promise<BootstrapResult> {
  // Instances of a cluster may start together on a new database: whoever creates a record first
  // wins, and the others take that as done.
  if (!(await store.listGroups()).includes(ADMIN_GROUP)) await ignoreConflict(store.createGroup(ADMIN_GROUP));
  // The built-in scope of OpenID Connect (docs/oauth.md "OpenID Connect"): a client given it gets ID
  // tokens and userinfo. Public, so that the metadata's scopes_supported lists it (OpenID Connect
  // Discovery §3 expects `openid` there).
  if (!(await store.findScope(OPENID_SCOPE))) {
    await store.saveScope({ name: OPENID_SCOPE, description: 'OpenID Connect: an ID token and userinfo', resources: [], public: true });
  }
  if ((await store.countGroupMembers(ADMIN_GROUP)) > 0) return { createdAdmin: false };
  const password = adminPassword && adminPassword !== '' ? adminPassword : generateSecret();
  if (adminPassword) {
    const problem = await passwordProblem(adminPassword, (await store.getSettings()).passwordMinLength);
    if (problem !== undefined) throw new ConfigError(`PORTCULLIS_ADMIN_PASSWORD: ${problem}`);
  }
  if (await store.findUser(ADMIN_USER)) {
    // Another instance may have created the administrator (user and membership in one transaction)
    // since the count above: then there is nothing to do, and its password must stay.
    if ((await store.countGroupMembers(ADMIN_GROUP)) > 0) return { createdAdmin: false };
    await store.updateUser(ADMIN_USER, { passwordHash: await hasher.hash(password), groups: [ADMIN_GROUP], enabled: true });
    return adminPassword ? { createdAdmin: true } : { createdAdmin: true, generatedPassword: password };
  }
  const created = await ignoreConflict(
    store.createUser({
      username: ADMIN_USER,
      passwordHash: await hasher.hash(password),
      groups: [ADMIN_GROUP],
      enabled: true,
      createdAt: clock.nowSeconds(),
    }),
  );
  if (!created) return { createdAdmin: false };
  return adminPassword ? { createdAdmin: true } : { createdAdmin: true, generatedPassword: password };
}

/** True when the record was created now, false when another instance created it first. */
async function ignoreConflict(work: Promise<void>): Promise<boolean> {
  try {
    await work;
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
}
