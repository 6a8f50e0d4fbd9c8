import type { Row } from '../scenario.ts';
import { fmtRatio } from './forms.ts';
import type { Measurement } from './load.ts';
import { ms } from './report.ts';

/** A peer's figures beside Portcullis's in one scenario. */
export interface PeerResult {
  name: string;
  measurement: Measurement;
}

/** docs/benchmarks.md: on every write path, Portcullis's p99 is no higher than the best peer's p99 in the same run. */
export const P99_AGAINST_BEST_PEER = 'p99 ≤ best peer\'s p99';

/** The peer with the lowest p99 (the one the tail bar is held against). */
export function bestPeer(peers: PeerResult[]): PeerResult {
  return peers.reduce((best, peer) => (peer.measurement.p99 < best.measurement.p99 ? peer : best));
}

/** The row of the tail bar of a write path: Portcullis's p99 against the best peer's, same run. */
export function p99AgainstBestPeer(scenario: string, ours: Measurement, peers: PeerResult[]): Row {
  const best = bestPeer(peers);
  const ratio = ours.p99 / best.measurement.p99;
  return {
    scenario,
    subject: `Portcullis's p99 against the best peer's (${best.name}, ${ms(best.measurement.p99)} ms)`,
    ratios: { p99: ratio },
    ratioText: `${fmtRatio(ratio)} p99`,
    bar: P99_AGAINST_BEST_PEER,
    status: ours.failures === 0 && ratio <= 1 ? 'pass' : 'miss',
  };
}

/** A throughput ratio, with its bar when it has one. */
export interface ThroughputBar {
  /** Whose req/s divides Portcullis's ("oidc-provider's", "raw argon2id's"). */
  against: string;
  measurement: Measurement;
  /** The least ratio that passes; undefined: shown for context only. */
  atLeast?: number;
}

/**
 * Portcullis's row of a scenario: its ratio to each reference's req/s, and `pass` only when every
 * ratio with a bar reaches it, every `extra` check holds, and no request failed.
 */
export function portcullisRow(
  scenario: string,
  subject: string,
  ours: Measurement,
  bars: ThroughputBar[],
  extra: { text: string; bar: string; pass: boolean }[] = [],
): Row {
  const ratios: Record<string, number> = {};
  const texts: string[] = [];
  const barTexts: string[] = [];
  let pass = ours.failures === 0;
  for (const reference of bars) {
    const ratio = ours.throughput / reference.measurement.throughput;
    ratios[`throughputTo ${reference.against}`] = ratio;
    texts.push(`${fmtRatio(ratio)} ${reference.against} req/s`);
    if (reference.atLeast !== undefined) {
      barTexts.push(`≥ ${fmtRatio(reference.atLeast)} ${reference.against} req/s`);
      pass &&= ratio >= reference.atLeast;
    }
  }
  for (const check of extra) {
    texts.push(check.text);
    barTexts.push(check.bar);
    pass &&= check.pass;
  }
  return {
    scenario,
    subject,
    measurement: ours,
    ratios,
    ratioText: texts.join('; '),
    ...(barTexts.length > 0 ? { bar: barTexts.join(' and ') } : {}),
    status: barTexts.length === 0 ? 'measured' : pass ? 'pass' : 'miss',
  };
}

/** A peer's row: its figures, which Portcullis's row divides by. */
export function peerRow(scenario: string, peer: PeerResult): Row {
  return { scenario, subject: peer.name, measurement: peer.measurement, status: 'peer' };
}
