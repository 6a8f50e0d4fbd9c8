import { pageAudit } from '../../manage/audit.ts';
import type { AdminResource } from './resource.ts';
import { auditRecordSchema, commonErrors } from './schemas.ts';

interface AuditQuerystring {
  limit: number;
  before?: number;
  type?: string;
  username?: string;
  client_id?: string;
}

/** The security audit log (read-only): newest first, paged backwards with `before`. */
export const auditRoutes: AdminResource = {
  tag: 'audit',
  description: 'The security audit log: sign-ins, token events and every operator change',
  routes(app, { ctx }) {
    app.get<{ Querystring: AuditQuerystring }>(
      '/audit',
      {
        schema: {
          tags: ['audit'],
          summary: 'Audit records, newest first; pass next_before as before for the next page',
          querystring: {
            type: 'object',
            properties: {
              limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
              before: { type: 'integer', minimum: 1, description: 'only records older than this id' },
              type: { type: 'string', minLength: 1, maxLength: 100, description: 'event type, e.g. login.failed' },
              username: { type: 'string', minLength: 1, maxLength: 200 },
              client_id: { type: 'string', minLength: 1, maxLength: 200 },
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                records: { type: 'array', items: auditRecordSchema },
                next_before: { type: ['integer', 'null'], description: 'the cursor of the next (older) page; null on the last page' },
              },
            },
            ...commonErrors,
          },
        },
      },
      async (request) => {
        await ctx.audit.flush();
        const { limit, before, type, username, client_id: clientId } = request.query;
        return pageAudit(ctx.store, { limit, before, type, username, clientId });
      },
    );
  },
};
