import type { ConsentStore } from '../store.ts';
import { toConsent } from '../rows.ts';
import type { Driver } from './driver.ts';
import { sql } from './statement.ts';

const BY_KEY = sql('SELECT * FROM consents WHERE username = :username AND client_id = :clientId');
const SAVE = sql(
  `INSERT INTO consents (username, client_id, scope, granted_at) VALUES (:username, :clientId, :scope, :grantedAt)
   ON CONFLICT (username, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at`,
);
const OF_USER = sql('SELECT * FROM consents WHERE username = :username ORDER BY client_id');
const OF_CLIENT = sql('SELECT * FROM consents WHERE client_id = :clientId ORDER BY username');
const DELETE = sql('DELETE FROM consents WHERE username = :username AND client_id = :clientId');

export function consentStore(db: Driver): ConsentStore {
  return {
    findConsent: (username, clientId) => db.one(BY_KEY, { username, clientId }, toConsent),
    saveConsent: async (consent) => {
      await db.run(SAVE, { ...consent, scope: consent.scope.join(' ') });
    },
    listConsents: (of) =>
      'username' in of ? db.all(OF_USER, { username: of.username }, toConsent) : db.all(OF_CLIENT, { clientId: of.clientId }, toConsent),
    deleteConsent: async (username, clientId) => (await db.run(DELETE, { username, clientId })) > 0,
  };
}
