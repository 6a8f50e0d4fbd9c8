import type { Clock } from '../core/clock.ts';
import { ADMIN_GROUP, ADMIN_USER } from '../core/model.ts';
import type { PasswordHasher } from '../core/password-hash.ts';
import { generateSecret } from '../core/secrets.ts';
import type { Store } from '../store/store.ts';

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
  if (!(await store.listGroups()).includes(ADMIN_GROUP)) await store.createGroup(ADMIN_GROUP);
  if ((await store.countGroupMembers(ADMIN_GROUP)) > 0) return { createdAdmin: false };
  const password = adminPassword && adminPassword !== '' ? adminPassword : generateSecret();
  if (await store.findUser(ADMIN_USER)) {
    await store.updateUser(ADMIN_USER, { passwordHash: await hasher.hash(password), groups: [ADMIN_GROUP], enabled: true });
    return adminPassword ? { createdAdmin: true } : { createdAdmin: true, generatedPassword: password };
  }
  await store.createUser({
    username: ADMIN_USER,
    passwordHash: await hasher.hash(password),
    groups: [ADMIN_GROUP],
    enabled: true,
    createdAt: clock.nowSeconds(),
  });
  return adminPassword ? { createdAdmin: true } : { createdAdmin: true, generatedPassword: password };
}
