import type { Acl, Service } from '../../core/model.ts';
import { type Row, toAcl, toService } from '../rows.ts';
import type { SqliteContext } from './context.ts';

export function saveService(ctx: SqliteContext, service: Service): void {
  ctx.sql(
    `INSERT INTO services (name, upstream, methods, templates, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET upstream = excluded.upstream, methods = excluded.methods, templates = excluded.templates`,
  ).run(service.name, service.upstream, service.methods.join(' '), JSON.stringify(service.templates), service.createdAt);
}

export function findService(ctx: SqliteContext, name: string): Service | undefined {
  const row = ctx.sql('SELECT * FROM services WHERE name = ?').get(name) as Row | undefined;
  return row && toService(row);
}

export function listServices(ctx: SqliteContext): Service[] {
  return (ctx.sql('SELECT * FROM services ORDER BY name').all() as Row[]).map(toService);
}

export function deleteService(ctx: SqliteContext, name: string): boolean {
  return ctx.sql('DELETE FROM services WHERE name = ?').run(name).changes > 0;
}

export function setAcl(ctx: SqliteContext, acl: Acl): void {
  ctx.sql(
    `INSERT INTO acls (resource, allow, deny) VALUES (?, ?, ?)
     ON CONFLICT (resource) DO UPDATE SET allow = excluded.allow, deny = excluded.deny`,
  ).run(acl.resource, JSON.stringify(acl.allow), JSON.stringify(acl.deny));
}

export function listAcls(ctx: SqliteContext): Acl[] {
  return (ctx.sql('SELECT * FROM acls ORDER BY resource').all() as Row[]).map(toAcl);
}

export function deleteAcl(ctx: SqliteContext, resource: string): boolean {
  return ctx.sql('DELETE FROM acls WHERE resource = ?').run(resource).changes > 0;
}
