import type { ThrottleBlock } from '../../core/model.ts';
import type { ThrottleStore } from '../store.ts';
import { toThrottleBlock } from '../rows.ts';
import { sqlCounters } from './throttle-counters.ts';
import type { Driver } from './driver.ts';
import { type Operation, run } from './operation.ts';
import { sql } from './statement.ts';

/** Seconds an ended throttle block is kept before a later block clears it away. */
const FORGET_BLOCKS_AFTER = 86_400;

const FORGET_ENDED = sql('DELETE FROM throttle_blocks WHERE until < :before');
// An absent username or address is stored as '' (part of the primary key).
const RECORD = sql(
  `INSERT INTO throttle_blocks (counter, username, ip, since, until) VALUES (:counter, :username, :ip, :since, :until)
   ON CONFLICT (counter, username, ip) DO UPDATE SET since = excluded.since, until = excluded.until`,
);
const RUNNING = sql(
  `SELECT * FROM throttle_blocks WHERE until > :now AND (:username::text IS NULL OR username = :username) AND (:ip::text IS NULL OR ip = :ip)
   ORDER BY since DESC, counter, username, ip LIMIT 1000`,
);
const DELETE_OF_USER = sql("DELETE FROM throttle_blocks WHERE username = :username AND username <> ''");
const DELETE_OF_IP = sql("DELETE FROM throttle_blocks WHERE ip = :ip AND ip <> ''");

function* record(block: ThrottleBlock): Operation<void> {
  yield* run(FORGET_ENDED, { before: block.since - FORGET_BLOCKS_AFTER });
  yield* run(RECORD, { ...block, username: block.username ?? '', ip: block.ip ?? '' });
}

export function throttleStore(db: Driver): ThrottleStore {
  return {
    recordThrottleBlock: (block) => db.atomic(() => record(block)),
    listThrottleBlocks: (query) => db.all(RUNNING, { now: query.now, username: query.username ?? null, ip: query.ip ?? null }, toThrottleBlock),
    deleteThrottleBlocks: (subject) => ('username' in subject ? db.run(DELETE_OF_USER, subject) : db.run(DELETE_OF_IP, subject)),
    throttleCounters: (options) => sqlCounters(db, undefined, options?.sweep ?? true),
  };
}
