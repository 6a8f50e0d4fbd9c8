import { type LoginThrottle, throttleUsername } from '../authz/throttle.ts';
import { normalizeAddress } from '../core/client-address.ts';
import type { Clock } from '../core/clock.ts';
import type { ThrottleBlock } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';

/** A running block or delay as the CLI and admin API show it. */
export interface ThrottleBlockView {
  counter: ThrottleBlock['counter'];
  username: string | null;
  ip: string | null;
  since: string;
  until: string;
}

function view(block: ThrottleBlock): ThrottleBlockView {
  return {
    counter: block.counter,
    username: block.username,
    ip: block.ip,
    since: new Date(block.since * 1000).toISOString(),
    until: new Date(block.until * 1000).toISOString(),
  };
}

/** Blocks and delays still running: blocked (username, address) pairs and addresses, delayed usernames. */
export async function listThrottleBlocks(store: Store, clock: Clock): Promise<ThrottleBlockView[]> {
  return (await store.listThrottleBlocks({ now: clock.nowSeconds() })).map(view);
}

/**
 * Lets a username log in again at once: clears its delay and every recorded (username, address)
 * block. Works for usernames that do not exist too (they are counted alike). Returns how many
 * recorded blocks it ended.
 */
export async function unlockUsername(store: Store, throttle: LoginThrottle, clock: Clock, username: string): Promise<{ username: string; cleared: number }> {
  const name = throttleUsername(username);
  const blocks = await store.listThrottleBlocks({ now: 0, username: name });
  await throttle.unlockUser(name, blocks.flatMap((block) => (block.counter === 'user_ip' && block.ip !== null ? [block.ip] : [])));
  const cleared = await store.deleteThrottleBlocks({ username: name });
  await auditChange(store, clock, { type: 'throttle.unlocked', username: name, detail: { cleared } });
  return { username: name, cleared };
}

/**
 * Lifts the block on an address, and the (username, address) blocks recorded for it. An IPv6
 * address stands for its network as the throttle counts it (`2001:db8::5` unlocks `2001:db8::/64`).
 */
export async function unlockAddress(store: Store, throttle: LoginThrottle, clock: Clock, typed: string): Promise<{ ip: string; cleared: number }> {
  const normal = normalizeAddress(typed);
  const ip = normal === null ? typed.trim() : throttle.addressKey(normal);
  const blocks = await store.listThrottleBlocks({ now: 0, ip });
  await throttle.unlockIp(ip, blocks.flatMap((block) => (block.counter === 'user_ip' && block.username !== null ? [block.username] : [])));
  const cleared = await store.deleteThrottleBlocks({ ip });
  await auditChange(store, clock, { type: 'throttle.unlocked', ip, detail: { cleared } });
  return { ip, cleared };
}
