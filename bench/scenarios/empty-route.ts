import { basicAuth, FORM } from '../lib/forms.ts';
import type { BenchContext, Contender } from '../scenario.ts';

/**
 * The bound of the client-authenticated endpoints: the same request (same headers, same body) to
 * an empty route of a bare Fastify app, measured in turns with the scenario that divides by it.
 */
export async function emptyRoute(ctx: BenchContext, body: string): Promise<Contender> {
  const empty = await ctx.target('empty-fastify');
  const request = {
      path: '/empty',
      headers: { 'content-type': FORM, authorization: basicAuth('00000000-0000-4000-8000-000000000000', 'an-unused-secret-of-the-same-size-as-ours') },
    body,
  };
  return { label: 'empty Fastify route', measure: (window) => ctx.measure(empty, { ...window, request }) };
}
