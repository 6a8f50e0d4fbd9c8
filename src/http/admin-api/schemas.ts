/**
 * JSON schemas of the admin API's records. The same objects validate requests, shape responses and
 * generate the OpenAPI document, so that the three cannot drift apart.
 */

export const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    error_description: { type: 'string' },
    field: { type: 'string', description: 'the request field at fault, when there is one' },
  },
  required: ['error'],
} as const;

/** The errors every authenticated route can answer, for the OpenAPI document. */
export const commonErrors = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
} as const;

export const okSchema = { type: 'object', properties: { ok: { type: 'boolean' } } } as const;

export const accessTtlSchema = {
  description: '`global` (the server-wide setting), `never`, or seconds',
  anyOf: [{ type: 'string', enum: ['global', 'never'] }, { type: 'integer', minimum: 1 }],
} as const;

export const grantsSchema = {
  type: 'array',
  items: { type: 'string', enum: ['password', 'refresh_token', 'client_credentials', 'authorization_code'] },
  uniqueItems: true,
} as const;

export const nameListSchema = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, uniqueItems: true } as const;

export const clientSchema = {
  type: 'object',
  properties: {
    client_id: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    description: { type: 'string' },
    type: { type: 'string', enum: ['confidential', 'public'] },
    grants: { type: 'array', items: { type: 'string' } },
    scopes: { type: 'array', items: { type: 'string' } },
    access_token_ttl: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    refresh_limit: { type: ['integer', 'null'] },
    refresh_token_ttl: { type: 'integer' },
    enabled: { type: 'boolean' },
    introspect: { type: 'boolean' },
    trusted_for_end_user_address: { type: 'boolean' },
    service_user: { type: ['string', 'null'] },
    redirect_uris: { type: 'array', items: { type: 'string' } },
    consent: { type: 'string', enum: ['always', 'remember', 'skip'] },
    token_format: { type: 'string', enum: ['opaque', 'jwt'] },
    created_at: { type: 'string' },
  },
} as const;

export const scopeSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    resources: { type: 'array', items: { type: 'string' } },
    public: { type: 'boolean', description: 'listed in the metadata\'s scopes_supported' },
  },
} as const;

export const userSchema = {
  type: 'object',
  properties: {
    name: { type: ['string', 'null'] },
    email: { type: ['string', 'null'] },
    username: { type: 'string' },
    groups: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    created_at: { type: 'string' },
    source: { type: 'string', enum: ['local', 'directory'], description: 'directory users are a read-only copy (docs/directory.md)' },
    dn: { type: 'string', description: 'directory users: their entry' },
    synced_at: { type: 'string', description: 'directory users: when the copy was last read from the directory' },
  },
} as const;

export const groupSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    members: { type: 'integer' },
    built_in: { type: 'boolean' },
  },
} as const;

export const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'SHA-256 of the token: identifies it without revealing it' },
    kind: { type: 'string', enum: ['access', 'refresh'] },
    state: { type: 'string', enum: ['active', 'expired', 'revoked', 'rotated'] },
    live: { type: 'boolean' },
    client_id: { type: 'string' },
    username: { type: ['string', 'null'] },
    scope: { type: 'string' },
    family: { type: 'string' },
    issued_at: { type: 'string' },
    expires_at: { type: ['string', 'null'] },
  },
} as const;

export const settingsSchema = {
  type: 'object',
  properties: {
    access_token_ttl: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    require_https: { type: 'boolean' },
    authorization_code_ttl: { type: 'integer' },
    require_pkce: { type: 'boolean' },
    login_session_idle_ttl: { type: 'integer' },
    login_session_max_ttl: { type: 'integer' },
    approval_page_title: { type: 'string' },
    approval_page_logo_url: { type: 'string' },
    approval_page_heading: { type: 'string' },
    approval_page_footer: { type: 'string' },
    password_min_length: { type: 'integer' },
    mfa_policy: { type: 'string' },
    mfa_required_groups: { type: 'array', items: { type: 'string' } },
    mfa_required_clients: { type: 'array', items: { type: 'string' } },
    signing_key_algorithm: { type: 'string' },
    signing_key_publish_delay: { type: 'integer' },
    signing_key_rotation_days: { type: 'integer' },
    default_audience: { type: 'string' },
    audiences: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** A path parameter holding a name or an id. */
export function pathParams(...names: string[]) {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, { type: 'string', minLength: 1, maxLength: 200 }])),
    required: names,
  } as const;
}

export const serviceSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    upstream: { type: 'string' },
    methods: { type: 'array', items: { type: 'string' }, description: 'methods accepted at /invoke/… (empty: any)' },
    templates: { type: 'array', items: { type: 'string' } },
    max_concurrent: { type: 'integer', nullable: true, description: 'calls in flight at once per gateway instance (null: the instance default)' },
    timeout_ms: { type: 'integer', nullable: true, description: 'milliseconds to wait for the upstream\'s headers (null: resource_server.upstream_timeout_ms)' },
    introspect_always: { type: 'boolean', description: 'JWT access tokens are checked online on every call too' },
    created_at: { type: 'string' },
  },
} as const;

export const aclSchema = {
  type: 'object',
  properties: {
    resource: { type: 'string', description: 'a folder (orders.v1) or a service (orders.v1:getOrder)' },
    allow: { type: 'array', items: { type: 'string' } },
    deny: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const auditRecordSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string' },
    type: { type: 'string' },
    ip: { type: ['string', 'null'] },
    client_id: { type: ['string', 'null'] },
    username: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
    detail: { type: ['object', 'null'], additionalProperties: true },
    actor: { type: ['string', 'null'], description: 'who made an operator change: an administrator\'s username, or `user@host` for the CLI' },
    actor_via: { type: ['string', 'null'], enum: ['admin_session', 'admin_token', 'cli', null] },
  },
} as const;
