import { p99AgainstBestPeer, peerRow, portcullisRow } from '../lib/bars.ts';
import { basicAuth, FORM, form, postForm } from '../lib/forms.ts';
import type { TargetProcess } from '../lib/spawn.ts';
import type { Measurement } from '../lib/load.ts';
import type { BenchContext, Contender, MeasureOptions, Row, Scenario } from '../scenario.ts';

/** docs/benchmarks.md: persisted rotation at least 1.5× @node-oauth/oauth2-server's in-memory one. */
export const REFRESH_BAR = 1.5;

/**
 * Live refresh tokens shared by every connection (bench/postgres.ts: of every instance): each
 * request takes one, each answer gives back the rotated one. A token whose answer arrives after autocannon stops is lost, so the pool starts
 * with several per connection.
 */
export class RefreshPool {
  private readonly tokens: string[] = [];
  add(token: string): void {
    this.tokens.push(token);
  }
  take(): string {
    return this.tokens.shift() ?? 'pool-exhausted';
  }
  get size(): number {
    return this.tokens.length;
  }
}

async function seed(target: TargetProcess, username: string, password: string, authorization: string, count: number): Promise<RefreshPool> {
  const pool = new RefreshPool();
  const batch = 16;
  for (let issued = 0; issued < count; issued += batch) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(batch, count - issued) }, () =>
        postForm(`${target.url}/oauth/token`, { grant_type: 'password', username, password }, authorization),
      ),
    );
    for (const answer of answers) pool.add(answer.refresh_token as string);
  }
  return pool;
}

function rotating(pool: RefreshPool, authorization: string): MeasureOptions {
  return {
    request: { path: '/oauth/token', headers: { 'content-type': FORM, authorization } },
    nextBody: () => form({ grant_type: 'refresh_token', refresh_token: pool.take() }),
    onBody: (status, body) => {
      if (status === 200) pool.add((JSON.parse(body) as { refresh_token: string }).refresh_token);
    },
  };
}

async function refreshContender(ctx: BenchContext, label: string, target: TargetProcess, client: { id: string; secret: string }): Promise<Contender> {
  const info = target.info as { username: string; password: string };
  const authorization = basicAuth(client.id, client.secret);
  // Each load run (warm-up and every round) may strand one token per connection.
  const pool = await seed(target, info.username, info.password, authorization, ctx.settings.connections * (ctx.settings.rounds + 3));
  return { label, measure: (window) => ctx.measure(target, { ...window, ...rotating(pool, authorization) }) };
}

/**
 * docs/benchmarks.md: the refresh grant with rotation, persisted (SQLite, committed before the answer),
 * against @node-oauth/oauth2-server's in-memory refresh with rotation, same run, same concurrency.
 */
export const refreshScenario: Scenario = {
  id: 'refresh',
  title: 'Refresh grant with rotation',
  async run(ctx) {
    const scenario = `Refresh grant with rotation, c=${ctx.settings.connections}`;
    const peer = await ctx.target('oauth2-server');
    const portcullis = await ctx.target('portcullis');

    ctx.log(`${scenario}: issuing the first refresh tokens by password grants`);
    const contenders = [
      await refreshContender(ctx, '@node-oauth/oauth2-server', peer, (peer.info as { client: { id: string; secret: string } }).client),
      await refreshContender(ctx, 'Portcullis', portcullis, (portcullis.info as { ropcClient: { id: string; secret: string } }).ropcClient),
    ];
    ctx.log(scenario);
    const [theirs, ours] = (await ctx.interleave(contenders)) as [Measurement, Measurement];
    const peers = [{ name: '@node-oauth/oauth2-server (express), in memory', measurement: theirs }];
    return [
      ...peers.map((one) => peerRow(scenario, one)),
      portcullisRow(scenario, 'Portcullis, SQLite', ours, [{ against: "@node-oauth/oauth2-server's", measurement: theirs, atLeast: REFRESH_BAR }]),
      p99AgainstBestPeer(scenario, ours, peers),
    ] satisfies Row[];
  },
};
