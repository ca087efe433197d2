/**
 * Unusual-hour findings: an actor active in the detection window at an hour of the day (UTC) at
 * which it never acted in the baseline, and not next to one at which it did (an hour's drift of
 * a working day is not news). One finding per clock hour of activity.
 */
import { ACTORS_TABLE, SCOPE_TABLE } from "./scope.js";
import type { SqlRunner } from "./sql-runner.js";

export interface HourRow {
  actor: string;
  period: string;
  hour_of_day: number;
  n: number;
  first_seen: string;
  last_seen: string;
  event_ids: string[];
  baseline_hours: number[];
  /** Hours (on the 24-hour clock, either way round) to the nearest hour seen in the baseline. */
  distance: number;
  baseline_days: number;
}

export interface HourOptions {
  minHistoryDays: number;
  eventIdLimit: number;
  /** Smallest distance to a known hour that counts as unusual. */
  minDistance: number;
}

export const HOURS_SQL = `WITH scored AS (
  SELECT actor, baseline_days FROM ${ACTORS_TABLE} WHERE baseline_days >= $min_days
),
seen AS (
  SELECT actor, list_sort(list(DISTINCT hour_of_day)) AS baseline_hours
  FROM ${SCOPE_TABLE} SEMI JOIN scored USING (actor)
  WHERE NOT detect
  GROUP BY actor
),
observed AS (
  SELECT actor, hour AS period, hour_of_day, count(*) AS n,
    min(event_time) AS first_seen, max(event_time) AS last_seen,
    min_by(event_id, {'t': event_time, 'id': event_id}, $id_limit) AS event_ids
  FROM ${SCOPE_TABLE} SEMI JOIN seen USING (actor)
  WHERE detect
  GROUP BY actor, hour, hour_of_day
),
measured AS (
  SELECT o.*, s.baseline_hours,
    list_min(list_transform(s.baseline_hours,
      h -> least(abs(h - o.hour_of_day), 24 - abs(h - o.hour_of_day)))) AS distance,
    a.baseline_days
  FROM observed o JOIN seen s USING (actor) JOIN scored a USING (actor)
)
SELECT * FROM measured
WHERE distance >= $min_distance
ORDER BY actor, period`;

export async function findUnusualHours(sql: SqlRunner, options: HourOptions): Promise<HourRow[]> {
  return sql.rows<HourRow>("unusual hours of day", HOURS_SQL, {
    min_days: options.minHistoryDays,
    id_limit: options.eventIdLimit,
    min_distance: options.minDistance,
  });
}
