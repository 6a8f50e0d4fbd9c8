import QRCode from 'qrcode';
import { describeMfa, enrolUserMfa, resetUserMfa } from '../../manage/mfa.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, errorSchema, pathParams } from './schemas.ts';

const params = pathParams('username');
const statusSchema = {
  type: 'object',
  properties: {
    username: { type: 'string' },
    enrolled: { type: 'boolean' },
    pending: { type: 'boolean', description: 'enrolled through /oauth/mfa/associate or the sign-in page, no code accepted yet' },
    enrolled_at: { type: ['string', 'null'] },
    recovery_codes_left: { type: 'integer' },
  },
} as const;

/** A user's second factor (docs/mfa.md): its state, an administrator's enrolment (shown once, with a QR code) and a reset. */
export const userMfaRoutes: AdminResource = {
  tag: 'mfa',
  description: "Users' second factors (TOTP and recovery codes)",
  routes(app, { ctx }) {
    const tags = ['mfa'];

    app.get<{ Params: { username: string } }>(
      '/users/:username/mfa',
      { schema: { tags, summary: "Show whether a user has a second factor", params, response: { 200: statusSchema, 404: errorSchema, ...commonErrors } } },
      async (request) => describeMfa(ctx.store, request.params.username),
    );

    app.post<{ Params: { username: string } }>(
      '/users/:username/mfa',
      {
        schema: {
          tags,
          summary: 'Enrol a TOTP factor for a user: the secret, its otpauth URI, a QR code (PNG data URL) and ten recovery codes, shown once',
          params,
          response: {
            201: {
              type: 'object',
              properties: {
                username: { type: 'string' },
                secret: { type: 'string' },
                otpauth_uri: { type: 'string' },
                qr_code: { type: 'string', description: 'a data: URL of a PNG image of the otpauth URI' },
                recovery_codes: { type: 'array', items: { type: 'string' } },
              },
            },
            404: errorSchema,
            409: errorSchema,
            ...commonErrors,
          },
        },
      },
      async (request, reply) => {
        const enrolment = await enrolUserMfa(ctx.store, ctx.secretBox, request.params.username, ctx.issuer, ctx.clock);
        reply.code(201);
        return {
          username: request.params.username,
          secret: enrolment.secret,
          otpauth_uri: enrolment.uri,
          qr_code: await QRCode.toDataURL(enrolment.uri, { margin: 2, scale: 5 }),
          recovery_codes: enrolment.recoveryCodes,
        };
      },
    );

    app.delete<{ Params: { username: string } }>(
      '/users/:username/mfa',
      { schema: { tags, summary: "Remove a user's second factor and recovery codes", params, response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors } } },
      async (request, reply) => {
        await resetUserMfa(ctx.store, request.params.username, ctx.clock);
        reply.code(204).send();
      },
    );
  },
};
