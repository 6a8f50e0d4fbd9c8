import { type Clock, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { Settings } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';

/** What the CLI and APIs show of the global OAuth settings. */
export function describeSettings(settings: Settings): Record<string, unknown> {
  return { access_token_ttl: settings.accessTokenTtl, require_https: settings.requireHttps };
}

/**
 * Changes global OAuth settings. Running instances pick the change up within their settings cache's
 * maximum age (docs/deployment.md: instances are stateless and share the store).
 */
export async function updateSettings(store: Store, patch: Partial<Settings>, clock: Clock = systemClock): Promise<Settings> {
  const ttl = patch.accessTokenTtl;
  if (ttl !== undefined && ttl !== 'never' && !(Number.isInteger(ttl) && ttl > 0)) {
    throw new UserError('access_token_ttl must be never or a positive number of seconds', 'invalid_request', 'access_token_ttl');
  }
  const updated = await store.updateSettings(patch);
  const changed: Record<string, string | number | boolean> = {};
  if (patch.accessTokenTtl !== undefined) changed.access_token_ttl = updated.accessTokenTtl;
  if (patch.requireHttps !== undefined) changed.require_https = updated.requireHttps;
  await auditChange(store, clock, { type: 'settings.changed', detail: changed });
  return updated;
}
