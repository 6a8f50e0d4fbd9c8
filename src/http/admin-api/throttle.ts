import { UserError } from '../../core/errors.ts';
import { listThrottleBlocks, unlockAddress, unlockUsername } from '../../manage/throttle.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors } from './schemas.ts';

export const throttleBlockSchema = {
  type: 'object',
  properties: {
    counter: {
      type: 'string',
      enum: ['user_ip', 'ip', 'user'],
      description: '`user_ip`: one username blocked from one address; `ip`: an address blocked; `user`: a username slowed down from everywhere',
    },
    username: { type: 'string', nullable: true, description: 'lower-cased, as counted; it need not exist' },
    ip: { type: 'string', nullable: true },
    since: { type: 'string', format: 'date-time' },
    until: { type: 'string', format: 'date-time' },
  },
  required: ['counter', 'username', 'ip', 'since', 'until'],
} as const;

interface UnlockBody {
  username?: string;
  ip?: string;
}

/** Brute-force blocks and delays now running, and unlocking a username or an address. */
export const throttleRoutes: AdminResource = {
  tag: 'throttle',
  description: 'Brute-force defence: locked accounts and addresses',
  routes(app, { ctx }) {
    const tags = ['throttle'];

    app.get(
      '/throttle',
      {
        schema: {
          tags,
          summary: 'Blocks and delays now running, newest first',
          response: { 200: { type: 'array', items: throttleBlockSchema }, ...commonErrors },
        },
      },
      async () => listThrottleBlocks(ctx.store, ctx.clock),
    );

    app.post<{ Body: UnlockBody }>(
      '/throttle/unlock',
      {
        schema: {
          tags,
          summary: 'Let a username (or an address) log in again at once',
          body: {
            type: 'object',
            properties: {
              username: { type: 'string', minLength: 1, maxLength: 200 },
              ip: { type: 'string', minLength: 1, maxLength: 100 },
            },
            description: 'exactly one of `username` and `ip`',
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: { username: { type: 'string' }, ip: { type: 'string' }, cleared: { type: 'integer', description: 'recorded blocks ended' } },
              required: ['cleared'],
            },
            ...commonErrors,
          },
        },
      },
      async (request) => {
        const { username, ip } = request.body;
        if ((username === undefined) === (ip === undefined)) throw new UserError('give exactly one of username and ip', 'invalid_request', 'username');
        return username !== undefined ? unlockUsername(ctx.store, ctx.throttle, ctx.clock, username) : unlockAddress(ctx.store, ctx.throttle, ctx.clock, ip!);
      },
    );
  },
};
