import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const MODULE = fileURLToPath(new URL('../../src/cli/serve/heap-growth.ts', import.meta.url));

/**
 * A process that keeps a small live heap and churns objects that live long enough to reach the
 * old generation (as a server's in-flight requests and cache entries do), then reports the largest
 * heap V8 kept meanwhile. `limit` decides whether it calls the serving process's limitHeapGrowth().
 */
function churn(options: { limit: boolean; nodeArgs?: string[] }): { peakMb: number; inForce: number | null } {
  const script = `
    import { limitHeapGrowth } from ${JSON.stringify(MODULE)};
    const inForce = ${options.limit} ? (limitHeapGrowth() ?? null) : null;
    const live = []; for (let i = 0; i < 200_000; i++) live.push({ i, s: 'x' + i });
    const ring = new Array(100_000);
    let peak = 0;
    for (let i = 0; i < 2_500_000; i++) {
      ring[i % ring.length] = { i, a: [i, i + 1], s: 'y' + (i & 1023) };
      if (i % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
    }
    console.log(JSON.stringify({ peakMb: peak / 1e6, inForce, live: live.length }));
  `;
  const run = spawnSync(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { peakMb: number; inForce: number | null };
}

// docs/deployment.md "Memory": a serving process lets its heap grow by half past what a full collection kept.
describe('portcullis serve: the heap growth limit', () => {
  test('keeps the heap of a churning process well below what V8 lets it reach by default', () => {
    const unlimited = churn({ limit: false });
    const limited = churn({ limit: true });
    assert.equal(limited.inForce, 50);
    assert.ok(limited.peakMb < unlimited.peakMb * 0.8, `limited ${limited.peakMb.toFixed(0)} MB, default ${unlimited.peakMb.toFixed(0)} MB`);
  });

  test("an operator's own --heap-growing-percent wins", () => {
    const own = churn({ limit: true, nodeArgs: ['--heap-growing-percent=300'] });
    assert.equal(own.inForce, null);
    const limited = churn({ limit: true });
    assert.ok(limited.peakMb < own.peakMb * 0.8, `limited ${limited.peakMb.toFixed(0)} MB, the operator's 300% ${own.peakMb.toFixed(0)} MB`);
  });
});
