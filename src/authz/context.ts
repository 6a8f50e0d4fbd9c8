import type { Clock } from '../core/clock.ts';
import type { PasswordHasher } from '../core/password-hash.ts';
import type { DirectoryUsers } from '../directory/directory-users.ts';
import type { Store } from '../store/store.ts';
import type { AuditLog } from './audit-log.ts';
import type { SettingsCache } from './settings-cache.ts';
import type { LoginThrottle } from './throttle.ts';
import type { SecretBox } from '../core/secret-box.ts';
import type { KeyRing } from './key-ring.ts';

/** Everything the authorization server's protocol logic depends on; injected, never global. */
export interface AuthzContext {
  store: Store;
  hasher: PasswordHasher;
  clock: Clock;
  settings: SettingsCache;
  /** RFC 8414 issuer identifier; the base of the endpoint URLs in metadata. */
  issuer: string;
  /** Brute-force defence for passwords and client secrets (docs/security.md). */
  throttle: LoginThrottle;
  /** Seals and opens secrets stored at rest under the server key (docs/security.md). */
  secretBox: SecretBox;
  /** The signing keys of JWT access tokens and ID tokens (docs/tokens.md). */
  keys: KeyRing;
  /** Security events (docs/security.md). */
  audit: AuditLog;
  /** The LDAP or Active Directory server users may also come from (docs/directory.md); absent when none is configured. */
  directory?: DirectoryUsers;
  /** Seconds within which the immediately previous refresh token may be presented again; 0 (default) is strict. */
  refreshReuseLeeway?: number;
}
