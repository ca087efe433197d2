/**
 * Scores that rank findings of every kind on one scale. Roughly: 3 is "look at this", 1 is the
 * weakest finding reported by default (`minScore`), below 1 is counted but not reported.
 *
 *   confidence(d) = min(1, d / 7)                  d: days of the baseline the actor was active
 *
 *   first-seen    = weight(kind) x novelty(k) x confidence(d)
 *     novelty(k)  = min(1.5, 2 / (1 + log2(1 + k)))  k: distinct values of the field in the
 *                   baseline. One known region makes a new one fully surprising (1.0); an actor
 *                   already in 15 regions makes a 16th less so (0.4); a field that never had a
 *                   value (no error code in 21 days) makes its first value more so (1.5).
 *
 *   volume        = 1.5 x log2(1 + z / minZ) x confidence(d)
 *                   z: robust z-score (volume.ts). At the threshold z = minZ this is 1.5; it
 *                   grows by 1.5 for each doubling of z / minZ, so a 16-fold burst beyond the
 *                   threshold ranks with a new region from a new network.
 *
 *   unusual hour  = (1 + 2 x min(1, (h - 1) / 5)) x confidence(d)
 *                   h: hours to the nearest hour of day the actor acted at in the baseline;
 *                   2 hours away scores 1.4, 6 or more hours away (03:00 for an office-hours
 *                   principal) scores 3.
 *
 * A combination of known values weighs 1, growing to 3 as more of its parts are new on their
 * own (possible only when those parts' own terms are not run; see firstSeenScore).
 *
 * A new address inside a known network has weight 0.5: below the default minScore, counted but
 * not reported unless asked for, as a new network is what says "somewhere else".
 */
import type { FindingKind } from "./finding.js";

export const KIND_WEIGHTS: Record<FindingKind, number> = {
  "new-region": 3,
  "new-source-prefix": 3,
  "new-source-ip": 0.5,
  "new-user-agent-family": 2.5,
  "new-user-agent-version": 1,
  "new-event-name": 1.5,
  "new-error-code": 2,
  "new-combination": 1,
  "volume-hourly": 1.5,
  "volume-daily": 1.5,
  "unusual-hour": 1,
};

/** Days of history after which a baseline is trusted fully. */
export const FULL_CONFIDENCE_DAYS = 7;

export function confidence(activeDays: number): number {
  return Math.min(1, activeDays / FULL_CONFIDENCE_DAYS);
}

export function novelty(baselineValues: number): number {
  return Math.min(1.5, 2 / (1 + Math.log2(1 + baselineValues)));
}

/**
 * `newShare`: for a combination, the share of its parts that are new to the actor on their own
 * (0 when every part is known). Known values met together for the first time weigh 1; a
 * combination of values all new (asked for without their own terms) weighs 3, like a new region.
 */
export function firstSeenScore(
  kind: FindingKind,
  baselineValues: number,
  activeDays: number,
  newShare = 0,
): number {
  const weight =
    kind === "new-combination"
      ? KIND_WEIGHTS[kind] + COMBINATION_NEW_PART_WEIGHT * newShare
      : KIND_WEIGHTS[kind];
  return round(weight * novelty(baselineValues) * confidence(activeDays));
}

/** What a combination's weight gains when all of its parts are new on their own. */
export const COMBINATION_NEW_PART_WEIGHT = 2;

export function volumeScore(
  kind: "volume-hourly" | "volume-daily",
  z: number,
  minZ: number,
  activeDays: number,
): number {
  return round(KIND_WEIGHTS[kind] * Math.log2(1 + z / minZ) * confidence(activeDays));
}

export function hourScore(distance: number, activeDays: number): number {
  const far = Math.min(1, Math.max(0, (distance - 1) / 5));
  return round(KIND_WEIGHTS["unusual-hour"] * (1 + 2 * far) * confidence(activeDays));
}

/**
 * A story's score: its findings' scores in descending order, the i-th divided by i
 * (s1 + s2/2 + s3/3 + ...). The strongest finding counts fully and each further one adds less,
 * so five kinds of new in one hour outrank one, but fifty weak findings cannot outrank a strong
 * story by number alone. The caller passes one score per observation (group.ts): an hourly and
 * a daily volume finding of the same burst are one observation.
 */
export function combinedScore(scores: number[]): number {
  return round([...scores].sort((a, b) => b - a).reduce((sum, s, i) => sum + s / (i + 1), 0));
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
