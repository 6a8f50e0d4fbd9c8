import type { Store } from '../store.ts';
import { accountStore, fillUsernameKeys } from './accounts.ts';
import { auditStore } from './audit.ts';
import { authorizationCodeStore } from './authorization-codes.ts';
import { catalogStore } from './catalog.ts';
import { clientStore } from './clients.ts';
import { consentStore } from './consents.ts';
import type { Driver } from './driver.ts';
import { loginSessionStore } from './login-sessions.ts';
import { mfaStore } from './mfa.ts';
import { migrate, readMigrations } from './migrations.ts';
import { sessionStore } from './sessions.ts';
import { settingsStore } from './settings.ts';
import { signingKeyStore } from './signing-keys.ts';
import { sql } from './statement.ts';
import { throttleStore } from './throttle.ts';
import { tokenStore } from './tokens.ts';

/** Every slice of the storage seam, without the lifecycle. */
export type Slices = Omit<Store, 'kind' | 'migrate' | 'hasSchema' | 'ping' | 'close' | 'startRequest' | 'poolStats'>;

const PING = sql('SELECT 1 AS ok');
const LEDGER_ROW = sql('SELECT version FROM schema_migrations LIMIT 1');

// The slices are assigned to each instance in the constructor; this tells TypeScript so.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging -- see above
export interface SqlStore extends Slices {}

/**
 * A store over one SQL database: each slice of the seam implemented once over the dialect's
 * driver (accounts.ts, clients.ts, tokens.ts, …), and the migrations. The SQLite and PostgreSQL
 * stores add their connections and lifecycle.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the interface above declares what the constructor assigns
export abstract class SqlStore {
  constructor(protected readonly driver: Driver) {
    Object.assign(this, {
      ...settingsStore(driver),
      ...accountStore(driver),
      ...clientStore(driver),
      ...tokenStore(driver),
      ...sessionStore(driver),
      ...authorizationCodeStore(driver),
      ...loginSessionStore(driver),
      ...consentStore(driver),
      ...auditStore(driver),
      ...catalogStore(driver),
      ...throttleStore(driver),
      ...mfaStore(driver),
      ...signingKeyStore(driver),
    } satisfies Slices);
  }

  /** Applies pending numbered migrations (src/store/migrations); returns the versions applied now. */
  async migrate(): Promise<number[]> {
    const applied = await this.driver.atomic(() => migrate(this.driver.dialect, readMigrations()));
    await fillUsernameKeys(this.driver);
    return applied;
  }

  async hasSchema(): Promise<boolean> {
    try {
      await this.driver.one(LEDGER_ROW, {}, (row) => row);
      return true;
    } catch (error) {
      // "no such table" (SQLite), "relation … does not exist" (PostgreSQL); anything else is real.
      if (/schema_migrations/.test((error as Error).message)) return false;
      throw error;
    }
  }

  /** Throws when the database cannot be reached. */
  async ping(): Promise<void> {
    await this.driver.one(PING, {}, (row) => row);
  }
}
