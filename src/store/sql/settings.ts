import { DEFAULT_SETTINGS, type Settings } from '../../core/model.ts';
import type { SettingsStore } from '../store.ts';
import type { Driver } from './driver.ts';
import { all, one, run, type Row } from './operation.ts';
import { sql } from './statement.ts';

const ALL = sql('SELECT key, value FROM settings');
const CLAIM = sql('INSERT INTO settings (key, value) VALUES (:key, :value) ON CONFLICT (key) DO NOTHING');
const ONE = sql('SELECT value FROM settings WHERE key = :key');
/** A row of the settings table that is not a setting (toSettings ignores it): the server key's fingerprint. */
const SERVER_KEY_CHECK = 'server_key_check';
const UPSERT = sql('INSERT INTO settings (key, value) VALUES (:key, :value) ON CONFLICT (key) DO UPDATE SET value = excluded.value');

/** Settings are JSON values by key; keys this version does not know are ignored. */
function toSettings(rows: Row[]): Settings {
  const settings: Settings = { ...DEFAULT_SETTINGS };
  for (const row of rows) {
    const key = row.key as string;
    if (key in settings) (settings as unknown as Record<string, unknown>)[key] = JSON.parse(row.value as string);
  }
  return settings;
}

export function settingsStore(db: Driver): SettingsStore {
  return {
    async getSettings() {
      return toSettings(await db.all(ALL, {}, (row) => row));
    },
    claimServerKeyCheck(check) {
      return db.atomic(function* () {
        yield* run(CLAIM, { key: SERVER_KEY_CHECK, value: JSON.stringify(check) });
        return JSON.parse((yield* one(ONE, { key: SERVER_KEY_CHECK }))!.value as string) as string;
      });
    },
    async serverKeyCheck() {
      const row = await db.one(ONE, { key: SERVER_KEY_CHECK }, (row) => row);
      return row === undefined ? undefined : (JSON.parse(row.value as string) as string);
    },
    updateSettings(patch) {
      return db.atomic(function* () {
        for (const [key, value] of Object.entries(patch)) {
          if (value !== undefined) yield* run(UPSERT, { key, value: JSON.stringify(value) });
        }
        return toSettings(yield* all(ALL));
      });
    },
  };
}
