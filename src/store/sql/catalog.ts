import type { CatalogStore } from '../store.ts';
import { toAcl, toService } from '../rows.ts';
import type { Driver } from './driver.ts';
import { sql } from './statement.ts';

const SAVE_SERVICE = sql(
  `INSERT INTO services (name, upstream, methods, templates, max_concurrent, timeout_ms, introspect_always, created_at)
   VALUES (:name, :upstream, :methods, :templates, :maxConcurrent::integer, :timeoutMs::integer, :introspectAlways::boolean, :createdAt)
   ON CONFLICT (name) DO UPDATE SET upstream = excluded.upstream, methods = excluded.methods, templates = excluded.templates,
     max_concurrent = excluded.max_concurrent, timeout_ms = excluded.timeout_ms, introspect_always = excluded.introspect_always`,
);
const SERVICE_BY_NAME = sql('SELECT * FROM services WHERE name = :name');
// Byte order on both stores, so that route ties between services break the same way.
const ALL_SERVICES = sql('SELECT * FROM services ORDER BY name COLLATE "C"');
const DELETE_SERVICE = sql('DELETE FROM services WHERE name = :name');
const SET_ACL = sql(
  `INSERT INTO acls (resource, allow, deny) VALUES (:resource, :allow, :deny)
   ON CONFLICT (resource) DO UPDATE SET allow = excluded.allow, deny = excluded.deny`,
);
const ALL_ACLS = sql('SELECT * FROM acls ORDER BY resource COLLATE "C"');
const DELETE_ACL = sql('DELETE FROM acls WHERE resource = :resource');

export function catalogStore(db: Driver): CatalogStore {
  return {
    saveService: async (service) => {
      await db.run(SAVE_SERVICE, {
        name: service.name,
        upstream: service.upstream,
        methods: service.methods.join(' '),
        templates: JSON.stringify(service.templates),
        maxConcurrent: service.maxConcurrent ?? null,
        timeoutMs: service.timeoutMs ?? null,
        introspectAlways: service.introspectAlways === true,
        createdAt: service.createdAt,
      });
    },
    findService: (name) => db.one(SERVICE_BY_NAME, { name }, toService),
    listServices: () => db.all(ALL_SERVICES, {}, toService),
    deleteService: async (name) => (await db.run(DELETE_SERVICE, { name })) > 0,
    // JSON, not space-separated: group names may contain spaces.
    setAcl: async (acl) => {
      await db.run(SET_ACL, { resource: acl.resource, allow: JSON.stringify(acl.allow), deny: JSON.stringify(acl.deny) });
    },
    listAcls: () => db.all(ALL_ACLS, {}, toAcl),
    deleteAcl: async (resource) => (await db.run(DELETE_ACL, { resource })) > 0,
  };
}
