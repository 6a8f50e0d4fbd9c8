import type { JWK } from 'jose';
import type { AuthzContext } from '../context.ts';

/**
 * The public signing keys: the next key (published before it signs), the current one, and retired
 * ones until the last token they signed has expired (docs/tokens.md "Rotation"). No private part
 * ever leaves the key ring.
 * @see RFC 7517 §5
 */
export async function jwksEndpoint(ctx: AuthzContext): Promise<{ keys: JWK[] }> {
  return ctx.keys.jwks();
}
