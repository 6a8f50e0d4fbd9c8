import type { FastifyInstance } from 'fastify';
import type { LoginThrottle } from '../../admin/login-throttle.ts';
import type { SessionPolicy } from '../../admin/session.ts';
import type { AuthzContext } from '../../authz/context.ts';

export interface AdminDeps {
  ctx: AuthzContext;
  throttle: LoginThrottle;
  sessionPolicy: SessionPolicy;
}

/** One resource of the admin API: its OpenAPI tag and the routes it adds (relative to /admin/api). */
export interface AdminResource {
  tag: string;
  description: string;
  routes(app: FastifyInstance, deps: AdminDeps): void;
}

