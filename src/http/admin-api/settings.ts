import type { Settings } from '../../core/model.ts';
import { describeSettings, updateSettings } from '../../manage/settings.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, settingsSchema } from './schemas.ts';

interface SettingsBody {
  access_token_ttl?: number | 'never';
  require_https?: boolean;
}

/** Global OAuth settings: default access-token lifetime, require HTTPS. */
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
            },
            additionalProperties: false,
            minProperties: 1,
          },
          response: { 200: settingsSchema, ...commonErrors },
        },
      },
      async (request) => {
        const patch: Partial<Settings> = {};
        if (request.body.access_token_ttl !== undefined) patch.accessTokenTtl = request.body.access_token_ttl;
        if (request.body.require_https !== undefined) patch.requireHttps = request.body.require_https;
        const updated = await updateSettings(ctx.store, patch, ctx.clock);
        ctx.settings.invalidate();
        return describeSettings(updated);
      },
    );
  },
};
