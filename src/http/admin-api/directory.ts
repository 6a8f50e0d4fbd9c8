import { NotFound } from '../../core/errors.ts';
import { checkDirectory } from '../../directory/directory-check.ts';
import { describeDirectoryConfig } from '../../directory/directory-config.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, errorSchema } from './schemas.ts';

const stepSchema = {
  type: 'object',
  properties: { step: { type: 'string' }, ok: { type: 'boolean' }, detail: { type: 'string' } },
} as const;

const reportSchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    steps: { type: 'array', items: stepSchema },
    user: {
      type: 'object',
      properties: {
        username: { type: 'string' },
        dn: { type: 'string' },
        enabled: { type: 'boolean' },
        directory_groups: { type: 'array', items: { type: 'string' } },
        groups: { type: 'array', items: { type: 'string' } },
      },
    },
  },
} as const;

const directorySchema = {
  type: 'object',
  properties: {
    configured: { type: 'boolean' },
    settings: {
      type: 'object',
      additionalProperties: true,
      description: 'the effective directory.* settings; the bind password only as where it came from',
    },
    state: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['up', 'down', 'unknown'] },
        since: { type: ['string', 'null'] },
        error: { type: ['string', 'null'] },
      },
    },
    name_check: {
      type: 'object',
      properties: {
        checked: { type: 'boolean' },
        conflicts: { type: 'array', items: { type: 'string' } },
        reason: { type: 'string' },
      },
    },
  },
} as const;

/**
 * The user directory (docs/directory.md): its effective settings, read-only (they come from the
 * config file and the environment, and the bind password is never shown), its state, and a
 * "test connection" action. A password given to the test is throttled like a sign-in.
 */
export const directoryRoutes: AdminResource = {
  tag: 'directory',
  description: 'The LDAP or Active Directory server users come from: settings (read-only), state, test',
  routes(app, { ctx, throttle }) {
    const tags = ['directory'];

    app.get('/directory', { schema: { tags, summary: 'The directory\'s effective settings and state', response: { 200: directorySchema, ...commonErrors } } }, async () => {
      const directory = ctx.directory;
      if (directory === undefined) return { configured: false };
      const state = await directory.directory.probe();
      return {
        configured: true,
        settings: describeDirectoryConfig(directory.directory.config),
        state: { status: state.status, since: state.since === null ? null : new Date(state.since * 1000).toISOString(), error: state.error },
        name_check: directory.names,
      };
    });

    app.post<{ Body: { username?: string; password?: string } }>(
      '/directory/test',
      {
        schema: {
          tags,
          summary: 'Check the connection, the service bind and the search; with a username, that user\'s search and groups; with a password too, their bind',
          body: {
            type: 'object',
            properties: { username: { type: 'string', minLength: 1, maxLength: 200 }, password: { type: 'string', maxLength: 1024 } },
            dependencies: { password: ['username'] },
            additionalProperties: false,
          },
          response: { 200: reportSchema, 404: errorSchema, 429: errorSchema, ...commonErrors },
        },
      },
      async (request) => {
        const directory = ctx.directory;
        if (directory === undefined) throw new NotFound('no directory is configured (docs/directory.md)');
        const { username, password } = request.body;
        const attempt = username !== undefined && password !== undefined ? { username, ip: request.clientIp } : undefined;
        // A password tried here is a password guess like any other: the sign-in throttle applies.
        if (attempt) await throttle.check(attempt);
        const locals = (await ctx.store.listUsers()).filter((user) => user.directory === undefined).map((user) => user.username);
        const report = await checkDirectory(directory.directory, { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), localUsernames: locals });
        if (attempt) {
          const bind = report.steps.find((step) => step.step === 'user bind');
          if (bind?.ok) await throttle.recordSuccess(attempt);
          else if (bind && bind.detail === 'the directory refused the password') await throttle.recordFailure(attempt);
          else await throttle.recordUnverified(attempt);
        }
        return report;
      },
    );
  },
};
