/**
 * Volume findings: an actor's count of calls of one event family in an hour (or a day) of the
 * detection window, against the same actor's counts for that family over the baseline.
 *
 * The baseline periods are every hour (or day) of the baseline days on which the actor was
 * active at all, so hours in which it made no such call count as zeros: a principal that makes
 * three AssumeRole calls a day has a median of 0 an hour, not 1. Centre and spread are the
 * median and the median absolute deviation (MAD), which a few past bursts do not move.
 *
 * Only (actor, family) pairs with a detection period at or above the floor get a baseline
 * computed at all, so the grid of zero hours stays small on large cases.
 *
 * Note: the hourly baseline ignores the hour of day (09:00 and 03:00 share one median). A
 * principal with a strong daily rhythm therefore gets a wide MAD; the unusual-hour finding
 * covers the night-time case instead.
 */
import { ACTORS_TABLE, SCOPE_TABLE } from "./scope.js";
import type { SqlRunner } from "./sql-runner.js";

export type VolumePeriod = "hour" | "day";

export interface VolumeRow {
  actor: string;
  event_family: string;
  period: string;
  n: number;
  first_seen: string;
  last_seen: string;
  event_ids: string[];
  median: number;
  mad: number;
  periods: number;
  baseline_max: number;
  z: number;
  baseline_days: number;
}

export interface VolumeOptions {
  minHistoryDays: number;
  eventIdLimit: number;
  /** Minimum events in one period for a finding: quiet principals do not flood the output. */
  minEvents: number;
  /** Minimum robust z-score. */
  minZ: number;
}

/**
 * The robust z-score: (count - median) / max(1.4826 x MAD, sqrt(max(median, 1))). 1.4826 x MAD
 * estimates a standard deviation; the square-root floor is the Poisson spread of a count with
 * that median, so an actor whose baseline is perfectly flat (MAD 0) is not infinitely surprised
 * by one extra call.
 */
export function volumeSql(period: VolumePeriod): string {
  const grid =
    period === "hour"
      ? `SELECT p.actor, p.event_family, d.day + to_hours(h.h) AS period
  FROM pairs p JOIN active_days d USING (actor) CROSS JOIN range(24) AS h(h)`
      : `SELECT p.actor, p.event_family, d.day AS period
  FROM pairs p JOIN active_days d USING (actor)`;
  return `WITH scored AS (
  SELECT actor, baseline_days FROM ${ACTORS_TABLE} WHERE baseline_days >= $min_days
),
observed AS (
  SELECT actor, event_family, ${period} AS period, count(*) AS n,
    min(event_time) AS first_seen, max(event_time) AS last_seen,
    min_by(event_id, {'t': event_time, 'id': event_id}, $id_limit) AS event_ids
  FROM ${SCOPE_TABLE} SEMI JOIN scored USING (actor)
  WHERE detect
  GROUP BY actor, event_family, ${period}
  HAVING count(*) >= $min_events
),
pairs AS (SELECT DISTINCT actor, event_family FROM observed),
active_days AS (
  SELECT DISTINCT actor, day FROM ${SCOPE_TABLE} SEMI JOIN pairs USING (actor) WHERE NOT detect
),
grid AS (
  ${grid}
),
counts AS (
  SELECT actor, event_family, ${period} AS period, count(*) AS n
  FROM ${SCOPE_TABLE} SEMI JOIN pairs USING (actor, event_family)
  WHERE NOT detect
  GROUP BY ALL
),
stats AS (
  SELECT g.actor, g.event_family,
    median(coalesce(c.n, 0)::DOUBLE) AS median,
    mad(coalesce(c.n, 0)::DOUBLE) AS mad,
    count(*) AS periods,
    max(coalesce(c.n, 0)) AS baseline_max
  FROM grid g LEFT JOIN counts c USING (actor, event_family, period)
  GROUP BY g.actor, g.event_family
),
scored_periods AS (
  SELECT o.*, s.median, s.mad, s.periods, s.baseline_max,
    (o.n - s.median) / greatest(1.4826 * s.mad, sqrt(greatest(s.median, 1))) AS z,
    a.baseline_days
  FROM observed o JOIN stats s USING (actor, event_family) JOIN scored a USING (actor)
)
SELECT * FROM scored_periods
WHERE z >= $min_z
ORDER BY actor, event_family, period`;
}

export async function findVolume(
  sql: SqlRunner,
  period: VolumePeriod,
  options: VolumeOptions,
): Promise<VolumeRow[]> {
  return sql.rows<VolumeRow>(`volume per ${period}`, volumeSql(period), {
    min_days: options.minHistoryDays,
    id_limit: options.eventIdLimit,
    min_events: options.minEvents,
    min_z: options.minZ,
  });
}
