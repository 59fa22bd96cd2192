/**
 * Judging a reading against the last plausible one. Each physical quantity of a device (its
 * odometer, its state of charge, each connector's energy register) keeps a track: the
 * reference — the newest sample of a reading that was accepted — and, while readings disagree
 * with it, a candidate. The decision is a pure function from (tracks, reading) to (verdict,
 * next tracks); the caller keeps the tracks per device.
 *
 * - A reading is accepted only when every quantity it carries is plausible against its
 *   reference; an implausible reading is quarantined and never becomes a reference, so one
 *   corrupt reading cannot condemn the good ones after it.
 * - Readings further apart than `restartAfterMs` are not compared (`long_gap`).
 * - Readings that disagree with the reference but agree with each other, `confirmAfter` in a
 *   row, move the reference to them (`rebased`): a replaced odometer or meter recovers after a
 *   few quarantined readings instead of never.
 * - A late reading (older than the reference) is judged against it with the pair in time
 *   order, and leaves the reference where it is.
 * - Time is the device's own clock, unless one reading of the pair was stamped ahead of the
 *   edge clock and the other not (`judgePair`).
 */
import type { ReasonCode } from '../../reasons.js';
import type { PlausibilityLimits } from './limits.js';
import type { Discontinuity, Judgement, QuantityRule, Sample } from './rules.js';

export interface Track {
  reference?: Sample;
  candidate?: { sample: Sample; count: number };
}

/** A device's tracks by quantity key (`odometerKm`, `socPct`, `energyWh:2`, …). */
export type Tracks = Readonly<Record<string, Track>>;

export interface Quantity {
  key: string;
  rule: QuantityRule;
  sample: Sample;
}

export type ReadingVerdict =
  | { ok: true; discontinuities: Array<{ key: string; kind: Discontinuity }>; tracks: Tracks }
  | { ok: false; reason: ReasonCode; detail: string; tracks: Tracks };

type QuantityOutcome = { judgement: Judgement; track: Track };

export function judgeReading(tracks: Tracks, quantities: readonly Quantity[], limits: PlausibilityLimits): ReadingVerdict {
  // A plain loop: this runs once per reading on the intake's hot path.
  const outcomes: QuantityOutcome[] = [];
  let refused = -1;
  for (let i = 0; i < quantities.length; i++) {
    const quantity = quantities[i]!;
    const outcome = judgeQuantity(tracks[quantity.key] ?? NO_TRACK, quantity, limits);
    outcomes.push(outcome);
    if (refused < 0 && !outcome.judgement.plausible) refused = i;
  }
  const next: Record<string, Track> = { ...tracks };
  if (refused >= 0) {
    const judgement = outcomes[refused]!.judgement as Extract<Judgement, { plausible: false }>;
    // Only the candidates move: the reading is not trusted, but it may be the first of a new series.
    outcomes.forEach((outcome, i) => {
      if (!outcome.judgement.plausible) next[quantities[i]!.key] = outcome.track;
    });
    return { ok: false, reason: judgement.reason, detail: `${quantities[refused]!.key}: ${judgement.detail}`, tracks: next };
  }
  const discontinuities: Array<{ key: string; kind: Discontinuity }> = [];
  outcomes.forEach(({ judgement, track }, i) => {
    const { key, sample } = quantities[i]!;
    if (judgement.plausible && judgement.discontinuity) discontinuities.push({ key, kind: judgement.discontinuity });
    next[key] = accepted(track, sample);
  });
  return { ok: true, discontinuities, tracks: next };
}

const NO_TRACK: Track = {};

/** The judgement of one quantity and the track to keep if its reading is accepted (or, when implausible, refused). */
function judgeQuantity(track: Track, { rule, sample }: Quantity, limits: PlausibilityLimits): QuantityOutcome {
  const { reference } = track;
  if (reference === undefined) return { judgement: { plausible: true }, track };
  const judgement = judgePair(rule, reference, sample, limits);
  if (judgement.plausible) return { judgement, track: judgement.discontinuity === 'long_gap' ? { reference: newer(reference, sample) } : track };
  const candidate = track.candidate;
  const agrees = candidate !== undefined && judgePair(rule, candidate.sample, sample, limits).plausible;
  const count = agrees ? candidate.count + 1 : 1;
  const series = { sample: agrees ? newer(candidate.sample, sample) : sample, count };
  if (count >= limits.confirmAfter) return { judgement: { plausible: true, discontinuity: 'rebased' }, track: { reference: series.sample } };
  return { judgement, track: { reference, candidate: series } };
}

/**
 * The pair judged in time order; too far apart to compare at all, a `long_gap`. The device's clock measures the time between its readings
 * (a backlog keeps its spacing) as long as both were stamped by the same clock regime; when one
 * was stamped ahead of the edge and the other not, the clocks are too far apart to measure
 * anything, and the edge's receive times stand in — so a corrupt reading dated next year
 * cannot claim a year of driving.
 */
function judgePair(rule: QuantityRule, a: Sample, b: Sample, limits: PlausibilityLimits): Judgement {
  const sameClock = (a.ahead ?? false) === (b.ahead ?? false) || a.receivedAt === undefined || b.receivedAt === undefined;
  const [x, y] = sameClock ? [a, b] : [{ ...a, at: a.receivedAt! }, { ...b, at: b.receivedAt! }];
  if (Math.abs(y.at - x.at) > limits.restartAfterMs) return { plausible: true, discontinuity: 'long_gap' };
  return y.at >= x.at ? rule(x, y, limits) : rule(y, x, limits);
}

function newer(a: Sample, b: Sample): Sample {
  return b.at >= a.at ? b : a;
}

/** The track once its reading is accepted: the newer sample is the reference, any candidate series is over. */
function accepted(track: Track, sample: Sample): Track {
  return { reference: track.reference === undefined ? sample : newer(track.reference, sample) };
}
