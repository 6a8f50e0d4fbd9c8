import { type Clock, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { MAX_AUTHORIZATION_CODE_TTL, MFA_POLICIES, type Settings, SIGNING_ALGORITHMS } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';

/** What the CLI and APIs show of the global OAuth settings. */
export function describeSettings(settings: Settings): Record<string, unknown> {
  return {
    access_token_ttl: settings.accessTokenTtl,
    require_https: settings.requireHttps,
    authorization_code_ttl: settings.authorizationCodeTtl,
    require_pkce: settings.requirePkce,
    login_session_idle_ttl: settings.loginSessionIdleTtl,
    login_session_max_ttl: settings.loginSessionMaxTtl,
    approval_page_title: settings.approvalPageTitle,
    approval_page_logo_url: settings.approvalPageLogoUrl,
    approval_page_heading: settings.approvalPageHeading,
    approval_page_footer: settings.approvalPageFooter,
    password_min_length: settings.passwordMinLength,
    mfa_policy: settings.mfaPolicy,
    mfa_required_groups: settings.mfaRequiredGroups,
    mfa_required_clients: settings.mfaRequiredClients,
    signing_key_algorithm: settings.signingKeyAlgorithm,
    signing_key_publish_delay: settings.signingKeyPublishDelay,
    signing_key_rotation_days: settings.signingKeyRotationDays,
    default_audience: settings.defaultAudience,
    audiences: settings.audiences,
  };
}

/** The wire name (snake_case, as in `apply` and the admin API) of each setting. */
const WIRE_NAMES: Record<keyof Settings, string> = {
  accessTokenTtl: 'access_token_ttl',
  requireHttps: 'require_https',
  authorizationCodeTtl: 'authorization_code_ttl',
  requirePkce: 'require_pkce',
  loginSessionIdleTtl: 'login_session_idle_ttl',
  loginSessionMaxTtl: 'login_session_max_ttl',
  approvalPageTitle: 'approval_page_title',
  approvalPageLogoUrl: 'approval_page_logo_url',
  approvalPageHeading: 'approval_page_heading',
  approvalPageFooter: 'approval_page_footer',
  passwordMinLength: 'password_min_length',
  mfaPolicy: 'mfa_policy',
  mfaRequiredGroups: 'mfa_required_groups',
  mfaRequiredClients: 'mfa_required_clients',
  signingKeyAlgorithm: 'signing_key_algorithm',
  signingKeyPublishDelay: 'signing_key_publish_delay',
  signingKeyRotationDays: 'signing_key_rotation_days',
  defaultAudience: 'default_audience',
  audiences: 'audiences',
};

/** The setting's name on the wire, for messages and forms. */
export function settingWireName(key: keyof Settings): string {
  return WIRE_NAMES[key];
}

function checkSeconds(key: keyof Settings, value: number | undefined, max: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= max)) {
    throw new UserError(`${WIRE_NAMES[key]} must be a whole number of seconds from 1 to ${max}`, 'invalid_request', WIRE_NAMES[key]);
  }
}

function checkText(key: keyof Settings, value: string | undefined, max: number): void {
  if (value !== undefined && value.length > max) throw new UserError(`${WIRE_NAMES[key]} is longer than ${max} characters`, 'invalid_request', WIRE_NAMES[key]);
}

/** The logo is loaded by the user's browser on the sign-in pages: https only (or nothing). */
function checkLogoUrl(value: string | undefined): void {
  if (value === undefined || value === '') return;
  const problem = 'approval_page_logo_url must be an https URL (or empty for none)';
  if (!URL.canParse(value) || new URL(value).protocol !== 'https:' || /[\s'"]/.test(value) || value.length > 2000) {
    throw new UserError(problem, 'invalid_request', 'approval_page_logo_url');
  }
}

/** The MFA policy names existing groups and clients only (docs/mfa.md "Policy"). */
async function checkMfaPolicy(store: Store, patch: Partial<Settings>): Promise<void> {
  if (patch.mfaPolicy !== undefined && !(MFA_POLICIES as readonly string[]).includes(patch.mfaPolicy)) {
    throw new UserError(`mfa_policy must be one of ${MFA_POLICIES.join(', ')}`, 'invalid_request', 'mfa_policy');
  }
  if (patch.mfaRequiredGroups !== undefined) {
    const groups = new Set(await store.listGroups());
    const unknown = patch.mfaRequiredGroups.find((group) => !groups.has(group));
    if (unknown !== undefined) throw new UserError(`mfa_required_groups: no group ${unknown}`, 'invalid_request', 'mfa_required_groups');
  }
  for (const clientId of patch.mfaRequiredClients ?? []) {
    if (!(await store.findClient(clientId))) throw new UserError(`mfa_required_clients: no client ${clientId}`, 'invalid_request', 'mfa_required_clients');
  }
}

/** An audience is an absolute URI without a fragment (RFC 8707 §2). */
export function isResourceIndicator(value: string): boolean {
  return URL.canParse(value) && new URL(value).hash === '' && !value.includes('#') && value.length <= 2000;
}

function checkSigningSettings(patch: Partial<Settings>): void {
  if (patch.signingKeyAlgorithm !== undefined && !SIGNING_ALGORITHMS.includes(patch.signingKeyAlgorithm)) {
    throw new UserError(`signing_key_algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}`, 'invalid_request', 'signing_key_algorithm');
  }
  if (patch.signingKeyPublishDelay !== undefined && !(Number.isInteger(patch.signingKeyPublishDelay) && patch.signingKeyPublishDelay >= 0 && patch.signingKeyPublishDelay <= 30 * 86_400)) {
    throw new UserError('signing_key_publish_delay must be a whole number of seconds from 0 to 2592000', 'invalid_request', 'signing_key_publish_delay');
  }
  if (patch.signingKeyRotationDays !== undefined && !(Number.isInteger(patch.signingKeyRotationDays) && patch.signingKeyRotationDays >= 0 && patch.signingKeyRotationDays <= 3650)) {
    throw new UserError('signing_key_rotation_days must be a whole number of days from 0 (off) to 3650', 'invalid_request', 'signing_key_rotation_days');
  }
  if (patch.defaultAudience !== undefined && patch.defaultAudience !== '' && !isResourceIndicator(patch.defaultAudience)) {
    throw new UserError('default_audience must be an absolute URI without a fragment (or empty for the issuer)', 'invalid_request', 'default_audience');
  }
  const bad = patch.audiences?.find((audience) => !isResourceIndicator(audience));
  if (bad !== undefined || (patch.audiences !== undefined && patch.audiences.length > 100)) {
    throw new UserError('audiences must be at most 100 absolute URIs without a fragment', 'invalid_request', 'audiences');
  }
}

/**
 * Changes global OAuth settings. Running instances pick the change up within their settings cache's
 * maximum age (docs/deployment.md: instances are stateless and share the store).
 */
export async function updateSettings(store: Store, patch: Partial<Settings>, clock: Clock = systemClock): Promise<Settings> {
  const ttl = patch.accessTokenTtl;
  if (ttl !== undefined && ttl !== 'never' && !(Number.isInteger(ttl) && ttl > 0)) {
    throw new UserError('access_token_ttl must be never or a positive number of seconds', 'invalid_request', 'access_token_ttl');
  }
  checkSeconds('authorizationCodeTtl', patch.authorizationCodeTtl, MAX_AUTHORIZATION_CODE_TTL);
  checkSeconds('loginSessionIdleTtl', patch.loginSessionIdleTtl, 30 * 86_400);
  checkSeconds('loginSessionMaxTtl', patch.loginSessionMaxTtl, 365 * 86_400);
  checkText('approvalPageTitle', patch.approvalPageTitle, 200);
  checkText('approvalPageHeading', patch.approvalPageHeading, 200);
  checkText('approvalPageFooter', patch.approvalPageFooter, 1000);
  checkLogoUrl(patch.approvalPageLogoUrl);
  const minLength = patch.passwordMinLength;
  if (minLength !== undefined && !(Number.isInteger(minLength) && minLength >= 8 && minLength <= 128)) {
    throw new UserError('password_min_length must be a whole number from 8 to 128', 'invalid_request', 'password_min_length');
  }
  await checkMfaPolicy(store, patch);
  checkSigningSettings(patch);
  const updated = await store.updateSettings(patch);
  const changed: Record<string, string | number | boolean> = {};
  for (const key of Object.keys(patch) as (keyof Settings)[]) {
    const value = updated[key];
    if (patch[key] !== undefined) changed[WIRE_NAMES[key]] = Array.isArray(value) ? value.join(' ') : value;
  }
  await auditChange(store, clock, { type: 'settings.changed', detail: changed });
  return updated;
}
