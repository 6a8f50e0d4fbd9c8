import { MFA_POLICIES, type MfaPolicy, type Settings } from '../../core/model.ts';
import { describeSettings, updateSettings } from '../../manage/settings.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, settingsSchema } from './schemas.ts';

interface SettingsBody {
  access_token_ttl?: number | 'never';
  require_https?: boolean;
  authorization_code_ttl?: number;
  require_pkce?: boolean;
  login_session_idle_ttl?: number;
  login_session_max_ttl?: number;
  approval_page_title?: string;
  approval_page_logo_url?: string;
  approval_page_heading?: string;
  approval_page_footer?: string;
  password_min_length?: number;
  mfa_policy?: MfaPolicy;
  mfa_required_groups?: string[];
  mfa_required_clients?: string[];
  signing_key_algorithm?: Settings['signingKeyAlgorithm'];
  signing_key_publish_delay?: number;
  signing_key_rotation_days?: number;
  default_audience?: string;
  audiences?: string[];
}

/** Global OAuth settings: lifetimes, require HTTPS and PKCE, login sessions, the sign-in pages' look. */
export const settingsRoutes: AdminResource = {
  tag: 'settings',
  description: 'Global OAuth settings',
  routes(app, { ctx }) {
    app.get('/settings', { schema: { tags: ['settings'], summary: 'Read the global settings', response: { 200: settingsSchema, ...commonErrors } } }, async () =>
      describeSettings(await ctx.store.getSettings()),
    );

    app.patch<{ Body: SettingsBody }>(
      '/settings',
      {
        schema: {
          tags: ['settings'],
          summary: 'Change global settings',
          body: {
            type: 'object',
            properties: {
              access_token_ttl: {
                description: 'default access-token lifetime: seconds, or `never`',
                anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', enum: ['never'] }],
              },
              require_https: { type: 'boolean', description: 'refuse plain HTTP at the OAuth endpoints (loopback counts as secure)' },
              authorization_code_ttl: { type: 'integer', minimum: 1, maximum: 600, description: 'seconds an authorization code lives' },
              require_pkce: { type: 'boolean', description: 'PKCE for confidential clients too (public clients always need it)' },
              login_session_idle_ttl: { type: 'integer', minimum: 1, description: 'seconds a login session may go unused' },
              login_session_max_ttl: { type: 'integer', minimum: 1, description: 'seconds a login session lasts after the sign-in, at most' },
              approval_page_title: { type: 'string', maxLength: 200 },
              approval_page_logo_url: { type: 'string', maxLength: 2000, description: 'an https URL, or empty for none' },
              approval_page_heading: { type: 'string', maxLength: 200 },
              approval_page_footer: { type: 'string', maxLength: 1000 },
              password_min_length: { type: 'integer', minimum: 8, maximum: 128, description: 'the shortest password that may be set (characters)' },
              mfa_policy: { type: 'string', enum: [...MFA_POLICIES], description: 'who gives a second factor after a correct password (docs/mfa.md)' },
              mfa_required_groups: { type: 'array', items: { type: 'string' }, description: 'under `required`: groups whose users must use MFA' },
              mfa_required_clients: { type: 'array', items: { type: 'string' }, description: 'under `required`: client ids whose logins must use MFA' },
              signing_key_algorithm: { type: 'string', enum: ['ES256', 'RS256', 'EdDSA'], description: 'algorithm of the signing keys made from now on' },
              signing_key_publish_delay: { type: 'integer', minimum: 0, description: 'seconds a new signing key is published before it signs' },
              signing_key_rotation_days: { type: 'integer', minimum: 0, description: 'days between automatic key rotations; 0 is off' },
              default_audience: { type: 'string', maxLength: 2000, description: '`aud` of JWT access tokens without `resource`; empty is the issuer' },
              audiences: { type: 'array', items: { type: 'string', maxLength: 2000 }, maxItems: 100, description: 'resource indicators (RFC 8707) clients may ask for' },
            },
            additionalProperties: false,
            minProperties: 1,
          },
          response: { 200: settingsSchema, ...commonErrors },
        },
      },
      async (request) => {
        const body = request.body;
        const patch: Partial<Settings> = {
          accessTokenTtl: body.access_token_ttl,
          requireHttps: body.require_https,
          authorizationCodeTtl: body.authorization_code_ttl,
          requirePkce: body.require_pkce,
          loginSessionIdleTtl: body.login_session_idle_ttl,
          loginSessionMaxTtl: body.login_session_max_ttl,
          approvalPageTitle: body.approval_page_title,
          approvalPageLogoUrl: body.approval_page_logo_url,
          approvalPageHeading: body.approval_page_heading,
          approvalPageFooter: body.approval_page_footer,
          passwordMinLength: body.password_min_length,
          mfaPolicy: body.mfa_policy,
          mfaRequiredGroups: body.mfa_required_groups,
          mfaRequiredClients: body.mfa_required_clients,
          signingKeyAlgorithm: body.signing_key_algorithm,
          signingKeyPublishDelay: body.signing_key_publish_delay,
          signingKeyRotationDays: body.signing_key_rotation_days,
          defaultAudience: body.default_audience,
          audiences: body.audiences,
        };
        const updated = await updateSettings(ctx.store, patch, ctx.clock);
        ctx.settings.invalidate();
        return describeSettings(updated);
      },
    );
  },
};
