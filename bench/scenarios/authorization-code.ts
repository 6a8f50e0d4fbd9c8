import { createHash, randomBytes } from 'node:crypto';
import { p99AgainstBestPeer, peerRow, portcullisRow } from '../lib/bars.ts';
import { basicAuth, FORM, form } from '../lib/forms.ts';
import type { Measurement } from '../lib/load.ts';
import type { TargetProcess } from '../lib/spawn.ts';
import type { BenchContext, Contender, Row, Scenario } from '../scenario.ts';

/** One PKCE verifier for every code of the run (RFC 7636 §4.1); each server still hashes it per redemption. */
const CODE_VERIFIER = randomBytes(32).toString('base64url');
const CODE_CHALLENGE = createHash('sha256').update(CODE_VERIFIER).digest('base64url');

/** Requests per second assumed before a server's first window; then 1.5× the fastest seen. */
const FIRST_RATE_GUESS = 6000;

/**
 * Unspent authorization codes of one server. Before each load run the pool is topped up to what
 * that run can spend (its seconds at the expected rate, with a margin): codes are seeded while
 * the server is idle, never during a measured window.
 */
export class CodePool {
  private codes: string[] = [];
  private next = 0;
  constructor(private readonly seed: (count: number) => Promise<string[]>) {}
  get size(): number {
    return this.codes.length - this.next;
  }
  async fill(count: number): Promise<void> {
    if (this.size >= count) return;
    this.codes = [...this.codes.slice(this.next), ...(await this.seed(count - this.size))];
    this.next = 0;
  }
  /** The next unspent code; a spent pool answers with a code no server knows (a failed request). */
  take(): string {
    return this.codes[this.next++] ?? 'pool-exhausted';
  }
}

/** The codes a load run of `seconds` at `rate` req/s over `connections` connections may spend. */
export function codesFor(seconds: number, rate: number, connections: number): number {
  return Math.ceil(seconds * rate * 1.3) + connections * 2;
}

function codeContender(ctx: BenchContext, label: string, target: TargetProcess, pool: CodePool, client: { id: string; secret: string; redirectUri: string }, path: string): Contender {
  let rate = FIRST_RATE_GUESS;
  const authorization = basicAuth(client.id, client.secret);
  return {
    label,
    async measure(window) {
      await pool.fill(codesFor(window.duration + window.warmup, rate, ctx.settings.connections));
      const measured = await ctx.measure(target, {
        ...window,
        request: { path, headers: { 'content-type': FORM, authorization } },
        nextBody: () => form({ grant_type: 'authorization_code', code: pool.take(), redirect_uri: client.redirectUri, code_verifier: CODE_VERIFIER }),
      });
      rate = Math.max(rate, measured.throughput * 1.5);
      return measured;
    },
  };
}

/**
 * docs/benchmarks.md: the token endpoint redeeming authorization codes (RFC 6749 §4.1.3, with PKCE,
 * RFC 7636 §4.6), each code issued for a confidential client and spent once. Portcullis's codes
 * are stored through its store as its authorize endpoint stores them; @node-oauth/oauth2-server's
 * are put in its in-memory model. oidc-provider is left out: its in-memory adapter keeps at most
 * 1,000 entries (an LRU), so the codes of a measured window cannot be stored before it.
 */
export const authorizationCodeScenario: Scenario = {
  id: 'authorization-code',
  title: 'Authorization code redemption',
  async run(ctx) {
    const scenario = `Authorization code redemption (PKCE S256), c=${ctx.settings.connections}`;
    const portcullis = await ctx.target('portcullis');
    const peer = await ctx.target('oauth2-server');
    const p = (portcullis.info as { codeClient: { id: string; secret: string; redirectUri: string } }).codeClient;
    const o = (peer.info as { codeClient: { id: string; secret: string; redirectUri: string } }).codeClient;
    let batch = 0;
    const peerPool = new CodePool(async (count) => {
      const prefix = `bench-code-${batch++}-`;
      await peer.call('seedCodes', { prefix, count, codeChallenge: CODE_CHALLENGE });
      return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    });
    const ourPool = new CodePool((count) => portcullis.call<string[]>('seedCodes', { count, codeChallenge: CODE_CHALLENGE }));
    ctx.log(scenario);
    const [theirs, ours] = (await ctx.interleave([
      codeContender(ctx, '@node-oauth/oauth2-server', peer, peerPool, o, '/oauth/token'),
      codeContender(ctx, 'Portcullis', portcullis, ourPool, p, '/oauth/token'),
    ])) as [Measurement, Measurement];
    const peers = [{ name: '@node-oauth/oauth2-server (express), in memory', measurement: theirs }];
    return [
      ...peers.map((one) => peerRow(scenario, one)),
      portcullisRow(scenario, 'Portcullis, SQLite', ours, [{ against: "@node-oauth/oauth2-server's", measurement: theirs }]),
      p99AgainstBestPeer(scenario, ours, peers),
    ] satisfies Row[];
  },
};
