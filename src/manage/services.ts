import { type Clock, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { Service } from '../core/model.ts';
import { isValidServiceName } from '../core/resource-name.ts';
import { compileTemplate } from '../core/scope-coverage.ts';
import { BUILTIN_SERVICES } from '../resource/builtins.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';

export interface ServiceInput {
  name: string;
  upstream: string;
  methods?: string[];
  templates?: string[];
  /** Calls in flight at once per gateway instance; absent or null: the instance's default. */
  maxConcurrent?: number | null;
  /** Milliseconds to wait for the upstream's headers; absent or null: the instance's default. */
  timeoutMs?: number | null;
  /** JWT access tokens are checked online on every call too (docs/tokens.md "Revocation"). */
  introspectAlways?: boolean;
}

/** A whole number within bounds, or absent. */
function limit(value: number | null | undefined, max: number, field: string, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UserError(`${what} must be a whole number from 1 to ${max}`, 'invalid_request', field);
  return value;
}

const METHOD = /^[A-Z]+$/;

/**
 * Creates or replaces a service after checking its name, upstream URL, methods and templates.
 * Templates must live under `/rest/`: `/invoke/` is the services' own namespace and the rest of
 * the server's paths belong to the authorization server.
 */
export async function saveService(store: Store, clock: Clock, input: ServiceInput): Promise<Service> {
  if (!isValidServiceName(input.name)) throw new UserError('service names look like folder.sub:name (letters, digits, _ $ -)', 'invalid_request', 'name');
  if (input.name.startsWith('pub.oauth:') || BUILTIN_SERVICES.has(input.name)) {
    throw new UserError(`${input.name} is reserved by Portcullis`, 'invalid_request', 'name');
  }
  let upstream: URL;
  try {
    upstream = new URL(input.upstream);
  } catch {
    throw new UserError('upstream must be an absolute http(s) URL', 'invalid_request', 'upstream');
  }
  if (!['http:', 'https:'].includes(upstream.protocol) || upstream.username || upstream.password || upstream.hash) {
    throw new UserError('upstream must be an http(s) URL without credentials or fragment', 'invalid_request', 'upstream');
  }
  const methods = [...new Set((input.methods ?? []).map((method) => method.trim().toUpperCase()).filter((m) => m !== ''))];
  for (const method of methods) if (!METHOD.test(method)) throw new UserError(`"${method}" is not an HTTP method`, 'invalid_request', 'methods');
  const templates = [...new Set((input.templates ?? []).map((t) => t.trim()).filter((t) => t !== ''))];
  for (const template of templates) {
    let compiled;
    try {
      compiled = compileTemplate(template);
    } catch (error) {
      throw new UserError(`template ${(error as Error).message}`, 'invalid_request', 'templates');
    }
    const first = compiled.segments[0];
    if (!first || first.kind !== 'literal' || first.value !== 'rest') {
      throw new UserError(`template "${template}" must start with /rest/`, 'invalid_request', 'templates');
    }
  }
  const maxConcurrent = limit(input.maxConcurrent, 100_000, 'max_concurrent', 'max_concurrent');
  const timeoutMs = limit(input.timeoutMs, 600_000, 'timeout_ms', 'timeout_ms');
  const existing = await store.findService(input.name);
  const service: Service = {
    name: input.name,
    upstream: upstream.toString(),
    methods,
    templates,
    ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(input.introspectAlways ? { introspectAlways: true } : {}),
    createdAt: existing?.createdAt ?? clock.nowSeconds(),
  };
  await store.saveService(service);
  await auditChange(store, clock, {
    type: 'service.saved',
    // Not the upstream URL: its query string may hold an API key.
    detail: { service: service.name, created: existing === undefined },
  });
  return service;
}

/** A service as the CLI and the admin API show it: snake_case, `created_at` in ISO 8601 like every other record. */
export function describeService(service: Service): Record<string, unknown> {
  return {
    name: service.name,
    upstream: service.upstream,
    methods: service.methods,
    templates: service.templates,
    // null: the instance's default (resource_server.max_concurrent_per_service, upstream_timeout_ms).
    max_concurrent: service.maxConcurrent ?? null,
    timeout_ms: service.timeoutMs ?? null,
    introspect_always: service.introspectAlways === true,
    created_at: new Date(service.createdAt * 1000).toISOString(),
  };
}

/** Every service, by name (the CLI's `service list` and the admin API). */
export async function listServices(store: Store): Promise<Service[]> {
  return store.listServices();
}

export async function deleteService(store: Store, name: string, clock: Clock = systemClock): Promise<void> {
  if (!(await store.deleteService(name))) throw new UserError(`no service ${name}`, 'not_found');
  await auditChange(store, clock, { type: 'service.deleted', detail: { service: name } });
}
