import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type GatewayBenchResult, gatewayRows, gatewayScenario } from '../../bench/gateway.ts';
import { scenarios } from '../../bench/registry.ts';
import { type ScaleFigures, scaleRows, scaleScenario } from '../../bench/scale.ts';

const figures = (p50: number, p99: number, requestsPerSecond: number) => ({ p50, p99, requestsPerSecond });

function gatewayResult(addedP99: number): GatewayBenchResult {
  const direct = figures(0.1, 0.2, 8000);
  const gateway = figures(0.4, 0.2 + addedP99, 3000);
  return {
    command: 'x',
    tokenFormat: 'opaque',
    connections: 1,
    durationSeconds: 5,
    direct,
    bareProxy: figures(0.2, 0.4, 5000),
    gateway,
    added: { p50: 0.3, p99: addedP99 },
    addedOverBareProxy: { p50: 0.2, p99: addedP99 - 0.2 },
    ratio: { p50: 4, p99: gateway.p99 / direct.p99, throughput: 0.375 },
    ratioOverBareProxy: { p50: 2, p99: 1, throughput: 0.6 },
  };
}

function scaleFigures(loadedPeakRssMb: number, tokens = 1_000_000): ScaleFigures {
  const phase = (issue: number, introspect: number, peakRssMb: number, storedTokens: number) => ({
    storedTokens,
    issuePerSecond: issue,
    issueP99Ms: 40,
    introspectPerSecond: introspect,
    introspectP99Ms: 20,
    rssMb: peakRssMb - 10,
    peakRssMb,
    errors: 0,
  });
  return {
    store: 'sqlite',
    tokens,
    loadSeconds: 30,
    storeSizeMb: 250,
    loadAverage: [1, 1],
    purgeScanMs: 1,
    empty: phase(4000, 6000, 110, 0),
    loaded: phase(3000, 5000, loadedPeakRssMb, tokens),
  };
}

describe('bench plug-in scenarios', () => {
  it('the registry runs the gateway and scale scenarios, not pending rows', async () => {
    const all = await scenarios(['gateway', 'scale']);
    assert.deepEqual(all, [gatewayScenario, scaleScenario]);
  });

  it('the gateway row passes below 1 ms of added p99 and misses at or above it', () => {
    const passing = gatewayRows(gatewayResult(0.6));
    assert.deepEqual(passing.map((row) => row.status), ['bound', 'measured', 'pass']);
    assert.equal(passing[2]!.ratios!.addedP99Ms, 0.6);
    assert.match(passing[2]!.ratioText!, /\+0\.600 ms p99/);
    assert.equal(passing[2]!.bar, 'added p99 < 1 ms');
    assert.equal(gatewayRows(gatewayResult(1.0))[2]!.status, 'miss');
  });

  it('the scale rows compare loaded against empty and hold RSS to 200 MB', () => {
    const rows = scaleRows(scaleFigures(150), { duration: 5, connections: 32, quick: false });
    assert.deepEqual(rows.map((row) => row.status), ['bound', 'measured', 'bound', 'measured', 'pass']);
    assert.match(rows[0]!.scenario, /^One million live tokens stored, SQLite/);
    assert.equal(rows[1]!.ratios!.throughput, 0.75);
    assert.equal(rows[4]!.ratios!.rssMb, 150);
    assert.equal(rows[4]!.bar, 'RSS < 200 MB with 1M tokens');
    assert.equal(rows[4]!.note?.includes('--quick'), false);
    assert.equal(scaleRows(scaleFigures(200), { duration: 5, connections: 32, quick: false })[4]!.status, 'miss');
  });

  it('a quick scale run says it stored fewer tokens', () => {
    const rows = scaleRows(scaleFigures(120, 100_000), { duration: 3, connections: 32, quick: true });
    assert.match(rows[0]!.scenario, /^100,000 live tokens stored/);
    assert.match(rows[4]!.note!, /--quick: 100,000 tokens; the full run stores one million/);
  });
});
