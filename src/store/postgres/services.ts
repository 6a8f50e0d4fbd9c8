import type { Acl, Service } from '../../core/model.ts';
import { toAcl, toService } from '../rows.ts';
import type { PostgresContext } from './context.ts';

export async function saveService(ctx: PostgresContext, service: Service): Promise<void> {
  await ctx.query(
    `INSERT INTO services (name, upstream, methods, templates, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (name) DO UPDATE SET upstream = excluded.upstream, methods = excluded.methods, templates = excluded.templates`,
    [service.name, service.upstream, service.methods.join(' '), JSON.stringify(service.templates), service.createdAt],
  );
}

export async function findService(ctx: PostgresContext, name: string): Promise<Service | undefined> {
  const row = (await ctx.query('SELECT * FROM services WHERE name = $1', [name])).rows[0];
  return row && toService(row);
}

export async function listServices(ctx: PostgresContext): Promise<Service[]> {
  // Byte order, as SQLite sorts: route ties between services break the same way on both stores.
  return (await ctx.query('SELECT * FROM services ORDER BY name COLLATE "C"')).rows.map(toService);
}

export async function deleteService(ctx: PostgresContext, name: string): Promise<boolean> {
  return ((await ctx.query('DELETE FROM services WHERE name = $1', [name])).rowCount ?? 0) > 0;
}

export async function setAcl(ctx: PostgresContext, acl: Acl): Promise<void> {
  await ctx.query(
    `INSERT INTO acls (resource, allow, deny) VALUES ($1, $2, $3)
     ON CONFLICT (resource) DO UPDATE SET allow = excluded.allow, deny = excluded.deny`,
    [acl.resource, JSON.stringify(acl.allow), JSON.stringify(acl.deny)],
  );
}

export async function listAcls(ctx: PostgresContext): Promise<Acl[]> {
  return (await ctx.query('SELECT * FROM acls ORDER BY resource COLLATE "C"')).rows.map(toAcl);
}

export async function deleteAcl(ctx: PostgresContext, resource: string): Promise<boolean> {
  return ((await ctx.query('DELETE FROM acls WHERE resource = $1', [resource])).rowCount ?? 0) > 0;
}
