/**
 * Activity counts for charts and reports: calls per time bucket and region, and calls per
 * principal and region. Both aggregate inside DuckDB; only the counts come back.
 */
import type { Case, QueryResult } from "./case.js";
import {
  filtersToSql,
  listValue,
  normalizeFilters,
  oneOf,
  QueryOptionsError,
  type QueryFilters,
  type SqlFragment,
} from "./filters.js";
import { REQUESTED_REGION_SQL, SERVING_REGION_SQL } from "./sts-regions.js";

/**
 * Which region a call is counted in: the logged region (`awsRegion`), the serving region (where
 * the STS global endpoint really served it; the logged region for everything else), or the
 * requested region (what `aws:RequestedRegion` held).
 */
export const REGION_BASES = ["logged", "serving", "requested"] as const;
export type RegionBasis = (typeof REGION_BASES)[number];

export const TIME_UNITS = ["hour", "day"] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

export interface ActivityOptions extends QueryFilters {
  /** Event sources to count (`sts.amazonaws.com`); all when absent. */
  eventSources?: string[];
  /** Default `logged`. */
  regionBasis?: RegionBasis;
}

export interface CallsOverTimeOptions extends ActivityOptions {
  /** Bucket size. Default `hour`. */
  unit?: TimeUnit;
}

/** One bucket of {@link callsOverTime}. */
export interface TimeBucketRow {
  /** Start of the bucket, ISO 8601 UTC. */
  bucket: string;
  region: string;
  calls: number;
  errors: number;
  principals: number;
}

/** One cell of {@link principalsByRegion}. */
export interface PrincipalRegionRow {
  /** The `actor` key (the issuing role for sessions), `(unknown)` when the record names none. */
  principal: string;
  region: string;
  calls: number;
  errors: number;
  first_seen: string;
  last_seen: string;
}

const REGION_SQL: Record<RegionBasis, string> = {
  logged: "aws_region",
  serving: SERVING_REGION_SQL,
  requested: REQUESTED_REGION_SQL,
};

function whereOf(options: ActivityOptions): SqlFragment {
  const where = filtersToSql(normalizeFilters(options));
  const sources = options.eventSources;
  if (sources === undefined) return where;
  if (!Array.isArray(sources) || sources.some((s) => typeof s !== "string" || s === "")) {
    throw new QueryOptionsError(
      "value-invalid",
      "eventSources",
      sources,
      "eventSources must be a list of event sources such as sts.amazonaws.com",
    );
  }
  return {
    sql: `${where.sql} AND list_contains($event_sources, event_source)`,
    params: { ...where.params, event_sources: listValue(sources) },
  };
}

/** Calls per UTC hour (or day) and region, earliest first. */
export async function callsOverTime(
  c: Case,
  options: CallsOverTimeOptions = {},
): Promise<QueryResult<TimeBucketRow>> {
  const unit = oneOf(options.unit, TIME_UNITS, "unit", "hour");
  const basis = oneOf(options.regionBasis, REGION_BASES, "regionBasis", "logged");
  const where = whereOf(options);
  // The session time zone is UTC (set on every connection), so buckets are UTC hours and days.
  const sql = `SELECT date_trunc('${unit}', event_time) AS bucket,
  coalesce(${REGION_SQL[basis]}, '(none)') AS region,
  count(*) AS calls,
  count(error_code) AS errors,
  count(DISTINCT actor) AS principals
FROM events
WHERE ${where.sql}
GROUP BY ALL
ORDER BY bucket, region`;
  return c.sql<TimeBucketRow>(sql, where.params);
}

/** Calls per principal and region, busiest principals first. */
export async function principalsByRegion(
  c: Case,
  options: ActivityOptions = {},
): Promise<QueryResult<PrincipalRegionRow>> {
  const basis = oneOf(options.regionBasis, REGION_BASES, "regionBasis", "logged");
  const where = whereOf(options);
  const sql = `WITH cells AS (
  SELECT coalesce(actor, '(unknown)') AS principal,
    coalesce(${REGION_SQL[basis]}, '(none)') AS region,
    count(*) AS calls,
    count(error_code) AS errors,
    min(event_time) AS first_seen,
    max(event_time) AS last_seen
  FROM events
  WHERE ${where.sql}
  GROUP BY ALL
)
SELECT principal, region, calls, errors, first_seen, last_seen
FROM (SELECT *, sum(calls) OVER (PARTITION BY principal) AS principal_calls FROM cells)
ORDER BY principal_calls DESC, principal, calls DESC, region`;
  return c.sql<PrincipalRegionRow>(sql, where.params);
}
