/**
 * Keeping charts readable with hundreds of principals or regions: the N heaviest keys are shown,
 * the rest are summed into one `other (k ...)` row, and the order is fixed (heaviest first, ties
 * by name) so the same data always gives the same spec.
 */
import { OTHER_PREFIX, plural } from "./spec.js";

export interface Folding {
  /** Keys shown, heaviest first. */
  kept: string[];
  /** Keys summed into the other row, heaviest first. */
  folded: string[];
  /** The label of the other row, or null when nothing was folded. */
  otherLabel: string | null;
  /** The label a key is shown under: itself, or the other row. */
  labelOf(key: string): string;
}

/**
 * Picks the `limit` heaviest keys. Folding a single key would hide a row to save none, so
 * everything is kept when at most one key is left over.
 */
export function foldTop(weights: Map<string, number>, limit: number, noun: string): Folding {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`a top-N limit must be a whole number >= 1, got ${limit}`);
  }
  const order = [...weights.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k]) => k);
  const cut = order.length - limit <= 1 ? order.length : limit;
  const kept = order.slice(0, cut);
  const folded = order.slice(cut);
  const otherLabel = folded.length ? `${OTHER_PREFIX} (${plural(folded.length, noun)})` : null;
  const keptSet = new Set(kept);
  return {
    kept,
    folded,
    otherLabel,
    labelOf: (key) => (keptSet.has(key) ? key : (otherLabel ?? key)),
  };
}

/** Sums a weight per key. */
export function sumBy<T>(rows: T[], key: (row: T) => string, weight: (row: T) => number) {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + weight(r));
  return out;
}

/**
 * Whether a region is allowed, given the allowed list as written: names, or patterns with `*`
 * and `?` (a `StringNotLike` region lock may list `eu-*`).
 */
export function regionMatcher(allowedRegions: string[] | undefined): (region: string) => boolean {
  if (!allowedRegions) return () => true;
  const patterns = allowedRegions.map(
    (p) =>
      new RegExp(
        `^${p
          .split("")
          .map((ch) =>
            ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\-]/g, "\\$&"),
          )
          .join("")}$`,
      ),
  );
  return (region) => patterns.some((p) => p.test(region));
}
