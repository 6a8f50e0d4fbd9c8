import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Measurement } from '../../bench/lib/load.ts';
import { type PostgresFigure, postgresRows, postgresScenario } from '../../bench/postgres.ts';
import { scenarios } from '../../bench/registry.ts';

function measured(throughput: number, failures = 0): Measurement {
  return { throughput, p50: 2, p99: 9, p999: 12, count: throughput * 5, failures, seconds: 5, connections: 32, cpuPerRequestUs: 300 };
}

function figures(one: Record<string, number>, two: Record<string, number>): PostgresFigure[] {
  return Object.entries(one).flatMap(([load, value]) => [
    { load: load as PostgresFigure['load'], instances: 1, measurement: measured(value) },
    { load: load as PostgresFigure['load'], instances: 2, measurement: measured(two[load]!) },
  ]);
}

describe('bench PostgreSQL scenario', () => {
  it('the registry runs it, not a pending row', async () => {
    assert.deepEqual(await scenarios(['postgres']), [postgresScenario]);
  });

  it('holds one instance to its multiple of the baseline, and two instances to 1.6× one', () => {
    const rows = postgresRows(
      figures({ 'client-credentials': 3700, refresh: 2100, introspection: 10_200 }, { 'client-credentials': 6000, refresh: 3000, introspection: 17_000 }),
      32,
    );
    assert.deepEqual(
      rows.map((row) => [row.subject, row.status]),
      [
        ['Portcullis, one instance', 'pass'],
        ['Portcullis, two instances on one database', 'pass'],
        ['Portcullis, one instance', 'miss'],
        ['Portcullis, two instances on one database', 'miss'],
        ['Portcullis, one instance', 'pass'],
        ['Portcullis, two instances on one database', 'pass'],
      ],
    );
    assert.match(rows[0]!.scenario, /^PostgreSQL, client credentials, c=32/);
    assert.equal(rows[0]!.bar, '≥ 2× 1,825/s');
    assert.equal(rows[5]!.bar, '≥ 1.6× one instance');
  });

  it('a run with failed requests fails its row', () => {
    const rows = postgresRows([{ load: 'refresh', instances: 1, measurement: measured(5000, 3) }], 32);
    assert.deepEqual(rows.map((row) => row.status), ['failed']);
  });
});
