import { parse as parseYaml } from 'yaml';
import type { Clock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { Settings } from '../core/model.ts';
import type { PasswordHasher } from '../core/password-hash.ts';
import { hashSecret } from '../core/secrets.ts';
import type { ClientPatch, Store } from '../store/store.ts';
import { parseAccessTtl, parseConsent,
  parseTokenFormat, parseCount, parseGrants, parseRedirectUris, registerClient, updateClient } from './clients.ts';
import { createGroup } from './groups.ts';
import { setAcl } from './acls.ts';
import { saveScope } from './scopes.ts';
import { updateSettings } from './settings.ts';
import { saveService } from './services.ts';
import { createUser, setUserEnabled, setUserGroups, setUserProfile } from './users.ts';

/**
 * The declarative setup file of `portcullis apply -f`. Keys are snake_case, as on the wire.
 * Applying is idempotent: existing records are updated, missing ones created, nothing is deleted.
 * Passwords and secrets never sit in the file: they come from environment variables it names,
 * or as hashes imported from another system.
 */
type Doc = Record<string, unknown>;

/** What applying did to one record; `unchanged` records are not written and leave no audit record. */
export interface ApplyChange {
  kind: 'settings' | 'group' | 'scope' | 'user' | 'client' | 'service' | 'acl';
  /** The record's name (a client's name and version; an ACL's resource; `settings` for the settings). */
  name: string;
  /** A client's id. */
  client_id?: string;
  outcome: 'created' | 'updated' | 'unchanged';
}

/** One change as the CLI prints it: `client shop-web (1f0c…) unchanged`. */
export function describeChange(change: ApplyChange): string {
  if (change.kind === 'settings') return `settings ${change.outcome}`;
  return `${change.kind} ${change.name}${change.client_id ? ` (${change.client_id})` : ''} ${change.outcome}`;
}

/** Whether every value `wanted` gives (undefined: not given) equals the current one; arrays compare as sets. */
function matches(current: Record<string, unknown>, wanted: Record<string, unknown>): boolean {
  const norm = (value: unknown) => (Array.isArray(value) ? JSON.stringify([...(value as unknown[])].map(String).sort()) : JSON.stringify(value));
  return Object.entries(wanted).every(([key, value]) => value === undefined || norm(value) === norm(current[key]));
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).toString() === new URL(b).toString();
  } catch {
    return false;
  }
}

export interface ApplyResult {
  changes: ApplyChange[];
  /** Secrets generated for new confidential clients, shown once. */
  secrets: { name: string; version: string; client_id: string; client_secret: string }[];
}

class Reader {
  constructor(
    private readonly doc: Doc,
    private readonly path: string,
    allowed: string[],
  ) {
    for (const key of Object.keys(doc)) {
      if (!allowed.includes(key)) throw new UserError(`${path}: unknown key ${key}`);
    }
  }

  private at(key: string): string {
    return `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.doc[key] !== undefined && this.doc[key] !== null;
  }

  string(key: string, required = false): string | undefined {
    const value = this.doc[key];
    if (value === undefined || value === null) {
      if (required) throw new UserError(`${this.at(key)} is required`);
      return undefined;
    }
    if (typeof value !== 'string' && typeof value !== 'number') throw new UserError(`${this.at(key)} must be a string`);
    return String(value);
  }

  boolean(key: string): boolean | undefined {
    const value = this.doc[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw new UserError(`${this.at(key)} must be true or false`);
    return value;
  }

  integer(key: string): number | undefined {
    const value = this.doc[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new UserError(`${this.at(key)} must be a whole number`);
    return value;
  }

  strings(key: string): string[] | undefined {
    const value = this.doc[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw new UserError(`${this.at(key)} must be a list of strings`);
    }
    return value as string[];
  }

  secretFromEnv(key: string, env: NodeJS.ProcessEnv): string | undefined {
    const name = this.string(key);
    if (name === undefined) return undefined;
    const value = env[name];
    if (value === undefined || value === '') throw new UserError(`${this.at(key)}: environment variable ${name} is not set`);
    return value;
  }

  wrap<T>(label: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof UserError) throw new UserError(`${this.path}${label}: ${error.message}`);
      throw error;
    }
  }
}

function items(doc: Doc, key: string): Doc[] {
  const value = doc[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => item === null || typeof item !== 'object' || Array.isArray(item))) {
    throw new UserError(`${key} must be a list of mappings`);
  }
  return value as Doc[];
}

async function labelled<T>(label: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${label}: ${error.message}`, error.code);
    throw error;
  }
}

/** Parses a setup document; throws a `UserError` naming the first thing wrong. */
export function parseSetup(text: string): Doc {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new UserError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new UserError('the setup file must be a mapping');
  new Reader(doc as Doc, 'setup', ['settings', 'groups', 'scopes', 'users', 'clients', 'services', 'acls']);
  return doc as Doc;
}

/** Applies a setup document in dependency order: settings, groups, scopes, users, clients, services, ACLs. */
export async function applySetup(
  store: Store,
  hasher: PasswordHasher,
  clock: Clock,
  doc: Doc,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApplyResult> {
  const result: ApplyResult = { changes: [], secrets: [] };

  if (doc.settings !== undefined && doc.settings !== null) {
    if (typeof doc.settings !== 'object' || Array.isArray(doc.settings)) throw new UserError('settings must be a mapping');
    const settings = new Reader(doc.settings as Doc, 'settings', [
      'access_token_ttl',
      'require_https',
      'authorization_code_ttl',
      'require_pkce',
      'login_session_idle_ttl',
      'login_session_max_ttl',
      'approval_page_title',
      'approval_page_logo_url',
      'approval_page_heading',
      'approval_page_footer',
      'password_min_length',
      'mfa_policy',
      'mfa_required_groups',
      'mfa_required_clients',
      'signing_key_algorithm',
      'signing_key_publish_delay',
      'signing_key_rotation_days',
      'default_audience',
      'audiences',
    ]);
    const patch: Partial<Settings> = {};
    const ttl = settings.string('access_token_ttl');
    if (ttl !== undefined) {
      patch.accessTokenTtl = ttl === 'never' ? 'never' : settings.wrap('.access_token_ttl', () => parseCount('access_token_ttl', ttl, 1));
    }
    const requireHttps = settings.boolean('require_https');
    if (requireHttps !== undefined) patch.requireHttps = requireHttps;
    const seconds = (key: string) => {
      const value = settings.string(key);
      return value === undefined ? undefined : settings.wrap(`.${key}`, () => parseCount(key, value, 1));
    };
    patch.authorizationCodeTtl = seconds('authorization_code_ttl');
    patch.requirePkce = settings.boolean('require_pkce');
    patch.loginSessionIdleTtl = seconds('login_session_idle_ttl');
    patch.loginSessionMaxTtl = seconds('login_session_max_ttl');
    patch.approvalPageTitle = settings.string('approval_page_title');
    patch.approvalPageLogoUrl = settings.string('approval_page_logo_url');
    patch.approvalPageHeading = settings.string('approval_page_heading');
    patch.approvalPageFooter = settings.string('approval_page_footer');
    const minLength = settings.string('password_min_length');
    if (minLength !== undefined) patch.passwordMinLength = settings.wrap('.password_min_length', () => parseCount('password_min_length', minLength, 8));
    patch.mfaPolicy = settings.string('mfa_policy') as Settings['mfaPolicy'] | undefined;
    patch.mfaRequiredGroups = settings.strings('mfa_required_groups');
    patch.mfaRequiredClients = settings.strings('mfa_required_clients');
    patch.signingKeyAlgorithm = settings.string('signing_key_algorithm') as Settings['signingKeyAlgorithm'] | undefined;
    const delay = settings.string('signing_key_publish_delay');
    if (delay !== undefined) patch.signingKeyPublishDelay = settings.wrap('.signing_key_publish_delay', () => parseCount('signing_key_publish_delay', delay, 0));
    const days = settings.string('signing_key_rotation_days');
    if (days !== undefined) patch.signingKeyRotationDays = settings.wrap('.signing_key_rotation_days', () => parseCount('signing_key_rotation_days', days, 0));
    patch.defaultAudience = settings.string('default_audience');
    patch.audiences = settings.strings('audiences');
    const current = await store.getSettings();
    if (matches(current as unknown as Record<string, unknown>, patch)) {
      result.changes.push({ kind: 'settings', name: 'settings', outcome: 'unchanged' });
    } else {
      await labelled('settings', () => updateSettings(store, patch, clock));
      result.changes.push({ kind: 'settings', name: 'settings', outcome: 'updated' });
    }
  }

  const existingGroups = new Set(await store.listGroups());
  const groups = doc.groups === undefined || doc.groups === null ? [] : doc.groups;
  if (!Array.isArray(groups) || groups.some((group) => typeof group !== 'string')) throw new UserError('groups must be a list of names');
  for (const group of groups as string[]) {
    if (existingGroups.has(group)) {
      result.changes.push({ kind: 'group', name: group, outcome: 'unchanged' });
      continue;
    }
    await labelled(`groups: ${group}`, () => createGroup(store, group, clock));
    result.changes.push({ kind: 'group', name: group, outcome: 'created' });
  }

  for (const [index, item] of items(doc, 'scopes').entries()) {
    const scope = new Reader(item, `scopes[${index}]`, ['name', 'description', 'resources', 'public']);
    const name = scope.string('name', true)!;
    const description = scope.string('description') ?? '';
    const resources = scope.strings('resources') ?? [];
    const isPublic = scope.boolean('public') ?? false;
    const existing = await store.findScope(name);
    if (
      existing &&
      (existing.public ?? false) === isPublic &&
      matches(existing as unknown as Record<string, unknown>, { description, resources: [...new Set(resources.map((r) => r.trim()))] })
    ) {
      result.changes.push({ kind: 'scope', name, outcome: 'unchanged' });
      continue;
    }
    await labelled(`scopes[${index}] (${name})`, () => saveScope(store, { name, description, resources, public: isPublic }, clock));
    result.changes.push({ kind: 'scope', name, outcome: existing ? 'updated' : 'created' });
  }

  for (const [index, item] of items(doc, 'users').entries()) {
    const user = new Reader(item, `users[${index}]`, ['username', 'password_env', 'password_hash', 'groups', 'enabled', 'name', 'email']);
    const username = user.string('username', true)!;
    const label = `users[${index}] (${username})`;
    const existing = await store.findUser(username);
    const groupList = user.strings('groups');
    const enabled = user.boolean('enabled');
    const profile = { name: user.string('name'), email: user.string('email') };
    if (!existing) {
      const password = user.secretFromEnv('password_env', env);
      const passwordHash = user.string('password_hash');
      if ((password === undefined) === (passwordHash === undefined)) {
        throw new UserError(`${label}: a new user needs exactly one of password_env or password_hash`);
      }
      await labelled(label, () => createUser(store, hasher, clock, { username, password, passwordHash, groups: groupList, enabled, ...profile }));
      result.changes.push({ kind: 'user', name: username, outcome: 'created' });
      continue;
    }
    // An existing user's password is left alone: applying the same file twice must not end sessions.
    const groupsChange = groupList !== undefined && !matches(existing as unknown as Record<string, unknown>, { groups: groupList });
    const enabledChange = enabled !== undefined && enabled !== existing.enabled;
    if (groupsChange) await labelled(label, () => setUserGroups(store, username, groupList, clock));
    const profileChange =
      (profile.name !== undefined && profile.name !== (existing.name ?? '')) || (profile.email !== undefined && profile.email !== (existing.email ?? ''));
    if (enabledChange) await setUserEnabled(store, clock, username, enabled);
    if (profileChange) await labelled(label, () => setUserProfile(store, clock, username, profile));
    result.changes.push({ kind: 'user', name: username, outcome: groupsChange || enabledChange || profileChange ? 'updated' : 'unchanged' });
  }

  for (const [index, item] of items(doc, 'clients').entries()) {
    const client = new Reader(item, `clients[${index}]`, [
      'client_id',
      'name',
      'version',
      'description',
      'type',
      'grants',
      'scopes',
      'access_token_ttl',
      'refresh_limit',
      'refresh_token_ttl',
      'enabled',
      'introspect',
      'trusted_for_end_user_address',
      'service_user',
      'redirect_uris',
      'consent',
      'token_format',
      'secret_env',
    ]);
    const name = client.string('name', true)!;
    const version = client.string('version') ?? '';
    const label = `clients[${index}] (${name}${version ? ` ${version}` : ''})`;
    const clientId = client.string('client_id');
    const existing = clientId ? await store.findClient(clientId) : await store.findClientByName(name, version);
    const ttl = client.string('access_token_ttl');
    const limit = client.string('refresh_limit');
    const refreshTtl = client.string('refresh_token_ttl');
    // The Reader's own errors already name their path; only the parsing below needs the label.
    const description = client.string('description');
    const grants = client.strings('grants');
    const scopes = client.strings('scopes');
    const enabled = client.boolean('enabled');
    const introspect = client.boolean('introspect');
    const trustedForEndUserAddress = client.boolean('trusted_for_end_user_address');
    const serviceUser = client.string('service_user');
    const redirectUris = client.strings('redirect_uris');
    const consent = client.string('consent');
    const tokenFormat = client.string('token_format');
    const settings: ClientPatch = await labelled(label, async () => ({
      description,
      grants: grants === undefined ? undefined : parseGrants(grants),
      scopes,
      accessTokenTtl: ttl === undefined ? undefined : parseAccessTtl(ttl),
      refreshLimit: limit === undefined ? undefined : limit === 'unlimited' ? null : parseCount('refresh_limit', limit, 0),
      refreshTokenTtl: refreshTtl === undefined ? undefined : parseCount('refresh_token_ttl', refreshTtl, 1),
      enabled,
      introspect,
      trustedForEndUserAddress,
      serviceUser,
      redirectUris: redirectUris === undefined ? undefined : parseRedirectUris(redirectUris),
      consent: consent === undefined ? undefined : parseConsent(consent),
      tokenFormat: tokenFormat === undefined ? undefined : parseTokenFormat(tokenFormat),
    }));
    const secret = client.secretFromEnv('secret_env', env);
    if (existing) {
      // A client's type cannot change in place: saying otherwise in the file must not pass silently.
      const type = client.string('type');
      if (type !== undefined && type !== existing.type) {
        throw new UserError(`${label}: client ${existing.id} is ${existing.type}; its type cannot change`);
      }
      if (secret !== undefined && existing.type !== 'confidential') throw new UserError(`${label}: a public client has no secret`);
      const patch: ClientPatch = { ...settings, name, version };
      if (secret !== undefined) patch.secretHash = hashSecret(secret);
      for (const key of Object.keys(patch) as (keyof ClientPatch)[]) if (patch[key] === undefined) delete patch[key];
      const display = `${name}${version ? ` ${version}` : ''}`;
      if (matches(existing as unknown as Record<string, unknown>, patch as Record<string, unknown>)) {
        result.changes.push({ kind: 'client', name: display, client_id: existing.id, outcome: 'unchanged' });
        continue;
      }
      await labelled(label, () => updateClient(store, existing.id, patch, clock));
      result.changes.push({ kind: 'client', name: display, client_id: existing.id, outcome: 'updated' });
      continue;
    }
    const type = client.string('type', true);
    const registered = await labelled(label, () =>
      registerClient(store, clock, {
        clientId,
        name,
        version,
        type: type as 'confidential' | 'public',
        grants: settings.grants ?? [],
        secret,
        description: settings.description,
        scopes: settings.scopes,
        accessTokenTtl: settings.accessTokenTtl,
        refreshLimit: settings.refreshLimit,
        refreshTokenTtl: settings.refreshTokenTtl,
        enabled: settings.enabled,
        introspect: settings.introspect,
        trustedForEndUserAddress: settings.trustedForEndUserAddress,
        serviceUser: settings.serviceUser,
        redirectUris: settings.redirectUris,
        consent: settings.consent,
        tokenFormat: settings.tokenFormat,
      }),
    );
    result.changes.push({ kind: 'client', name: `${name}${version ? ` ${version}` : ''}`, client_id: registered.client.id, outcome: 'created' });
    if (registered.secret !== undefined) {
      result.secrets.push({ name, version, client_id: registered.client.id, client_secret: registered.secret });
    }
  }

  for (const [index, item] of items(doc, 'services').entries()) {
    const service = new Reader(item, `services[${index}]`, ['name', 'upstream', 'methods', 'templates', 'max_concurrent', 'timeout_ms', 'introspect_always']);
    const name = service.string('name', true)!;
    const upstream = service.string('upstream', true)!;
    const methods = (service.strings('methods') ?? []).map((method) => method.trim().toUpperCase());
    const templates = (service.strings('templates') ?? []).map((template) => template.trim());
    const maxConcurrent = service.integer('max_concurrent');
    const timeoutMs = service.integer('timeout_ms');
    const introspectAlways = service.boolean('introspect_always');
    const existing = await store.findService(name);
    if (
      existing &&
      sameUrl(existing.upstream, upstream) &&
      // Absent limits mean the instance's defaults: a service that has its own is changed.
      (existing.maxConcurrent ?? null) === (maxConcurrent ?? null) &&
      (existing.timeoutMs ?? null) === (timeoutMs ?? null) &&
      (existing.introspectAlways === true) === (introspectAlways === true) &&
      matches(existing as unknown as Record<string, unknown>, { methods: [...new Set(methods)], templates: [...new Set(templates)] })
    ) {
      result.changes.push({ kind: 'service', name, outcome: 'unchanged' });
      continue;
    }
    await labelled(`services[${index}] (${name})`, () => saveService(store, clock, { name, upstream, methods, templates, maxConcurrent, timeoutMs, introspectAlways }));
    result.changes.push({ kind: 'service', name, outcome: existing ? 'updated' : 'created' });
  }

  // Read once: the file may hold many ACLs (a write below keeps the map current for a repeated resource).
  const acls = new Map((await store.listAcls()).map((entry) => [entry.resource, entry]));
  for (const [index, item] of items(doc, 'acls').entries()) {
    const acl = new Reader(item, `acls[${index}]`, ['resource', 'allow', 'deny']);
    const resource = acl.string('resource', true)!;
    const allow = [...new Set(acl.strings('allow') ?? [])];
    const deny = [...new Set(acl.strings('deny') ?? [])];
    const existing = acls.get(resource);
    if (existing && matches(existing as unknown as Record<string, unknown>, { allow, deny })) {
      result.changes.push({ kind: 'acl', name: resource, outcome: 'unchanged' });
      continue;
    }
    await labelled(`acls[${index}] (${resource})`, () => setAcl(store, { resource, allow, deny }, clock));
    acls.set(resource, { ...existing, resource, allow, deny });
    result.changes.push({ kind: 'acl', name: resource, outcome: existing ? 'updated' : 'created' });
  }
  return result;
}
