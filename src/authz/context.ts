import type { Clock } from '../core/clock.ts';
import type { PasswordHasher } from '../core/password-hash.ts';
import type { Store } from '../store/store.ts';
import type { SettingsCache } from './settings-cache.ts';

/** Everything the authorization server's protocol logic depends on; injected, never global. */
export interface AuthzContext {
  store: Store;
  hasher: PasswordHasher;
  clock: Clock;
  settings: SettingsCache;
  /** RFC 8414 issuer identifier; the base of the endpoint URLs in metadata. */
  issuer: string;
}
