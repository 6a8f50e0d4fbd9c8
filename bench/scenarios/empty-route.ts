import { basicAuth, FORM } from '../lib/forms.ts';
import type { Measurement } from '../lib/load.ts';
import type { BenchContext } from '../scenario.ts';

/**
 * The bound of the client-authenticated endpoints: the same request (same headers, same body) to
 * an empty route of a bare Fastify app. Measured right before the scenario that divides by it, so
 * the two see the same machine.
 */
export async function measureEmptyRoute(ctx: BenchContext, scenario: string, body: string): Promise<Measurement> {
  const empty = await ctx.target('empty-fastify');
  ctx.log(`${scenario}: empty Fastify route`);
  return ctx.measure(empty, {
    request: {
      path: '/empty',
      headers: { 'content-type': FORM, authorization: basicAuth('00000000-0000-4000-8000-000000000000', 'an-unused-secret-of-the-same-size-as-ours') },
      body,
    },
  });
}
