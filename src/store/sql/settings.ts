import { DEFAULT_SETTINGS, type Settings } from '../../core/model.ts';
import type { SettingsStore } from '../store.ts';
import type { Driver } from './driver.ts';
import { all, run, type Row } from './operation.ts';
import { sql } from './statement.ts';

const ALL = sql('SELECT key, value FROM settings');
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
