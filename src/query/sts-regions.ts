/**
 * Where STS calls went. Three regions describe one call, and they differ for the global endpoint:
 *
 * - the logged region (`awsRegion`): `us-east-1` for every call to `sts.amazonaws.com`, wherever
 *   it was served;
 * - the serving region (`additionalEventData.RequestDetails.awsServingRegion`);
 * - the requested region (what `aws:RequestedRegion` holds): the region of a regional endpoint,
 *   `us-east-1` for the global one.
 *
 * Grouping by the logged region alone makes global-endpoint traffic look like us-east-1 traffic,
 * so every breakdown here shows the three side by side with the endpoint type.
 */
import type { Case, QueryResult, Row } from "./case.js";
import {
  filtersToSql,
  normalizeFilters,
  oneOf,
  QueryOptionsError,
  type QueryFilters,
} from "./filters.js";

/** The STS event source. */
export const STS_SOURCE = "sts.amazonaws.com";

/** What the log says happened to a call. */
export type CallOutcome = "succeeded" | "denied" | "failed";

// The error codes of a refusal: AccessDenied from STS, UnauthorizedOperation and NotAuthorized
// from other services. Any other error (an expired token, a bad parameter) is a failure.
const ACCESS_DENIED = /AccessDenied|Unauthorized|NotAuthorized/i;

/** A call's outcome from its `errorCode`: none, a refusal, or another failure. */
export function outcomeOf(errorCode: string | null): CallOutcome {
  if (errorCode === null) return "succeeded";
  return ACCESS_DENIED.test(errorCode) ? "denied" : "failed";
}

// The region in a host name such as sts.eu-west-1.amazonaws.com, sts-fips.us-east-2.amazonaws.com
// or vpce-0a1b-x.sts.eu-west-1.vpce.amazonaws.com.
const HOST_REGION = `regexp_extract(tls_host, '(?:^|\\.)sts(?:-fips)?\\.([a-z]{2}(?:-[a-z]+)+-[0-9]+)\\.', 1)`;

/**
 * The requested region of an STS call, as SQL over `events`. RequestDetails is the best witness;
 * records without it (older events) fall back to the host called, then to the logged region.
 */
export const REQUESTED_REGION_SQL = `CASE
    WHEN sts_endpoint_type = 'global' THEN 'us-east-1'
    WHEN sts_endpoint_type = 'regional' THEN coalesce(nullif(sts_serving_region, ''), nullif(${HOST_REGION}, ''), aws_region)
    WHEN tls_host = 'sts.amazonaws.com' THEN 'us-east-1'
    ELSE coalesce(nullif(${HOST_REGION}, ''), aws_region)
  END`;

/** The serving region, or the logged region when the record does not say. */
export const SERVING_REGION_SQL = `coalesce(nullif(sts_serving_region, ''), aws_region)`;

/** The endpoint type, or what the host called shows when RequestDetails is missing. */
export const ENDPOINT_TYPE_SQL = `coalesce(nullif(sts_endpoint_type, ''),
    CASE WHEN tls_host = 'sts.amazonaws.com' THEN 'global'
         WHEN tls_host LIKE 'sts%.amazonaws.com' THEN 'regional' END, 'unknown')`;

export const STS_GROUPINGS = ["logged", "serving", "requested", "both"] as const;
export type StsGrouping = (typeof STS_GROUPINGS)[number];

export interface StsByRegionOptions extends QueryFilters {
  /**
   * `logged`: by awsRegion; `serving`: by the region that served the call; `requested`: by the
   * region a policy's `aws:RequestedRegion` saw; `both` (the default): by all of them and the
   * endpoint type together, so global-endpoint traffic stands apart from us-east-1 traffic.
   */
  groupBy?: StsGrouping;
  /** Event ids listed per row (the rest are counted in `event_ids_omitted`). Default 20. */
  eventIdLimit?: number;
}

/** One row of {@link stsByRegion}. Which region columns are single values depends on groupBy. */
export interface StsRegionRow {
  /** The grouping keys: all four with groupBy both, one of the first three otherwise. */
  logged_region?: string | null;
  serving_region?: string | null;
  requested_region?: string | null;
  endpoint_type?: string | null;
  /** With a single-region grouping: the other regions and endpoint types seen, as lists. */
  logged_regions?: string[];
  serving_regions?: string[];
  requested_regions?: string[];
  endpoint_types?: string[];
  event_name: string;
  calls: number;
  global_endpoint_calls: number;
  errors: number;
  /** Error code to number of calls. */
  errors_by_code: Record<string, number>;
  principals: number;
  source_ips: number;
  first_seen: string;
  last_seen: string;
  event_ids: string[];
  event_ids_omitted: number;
}

const GROUP_COLUMNS: Record<StsGrouping, { keys: string[]; lists: string[] }> = {
  logged: {
    keys: ["logged_region"],
    lists: ["serving_region", "requested_region", "endpoint_type"],
  },
  serving: {
    keys: ["serving_region"],
    lists: ["logged_region", "requested_region", "endpoint_type"],
  },
  requested: {
    keys: ["requested_region"],
    lists: ["logged_region", "serving_region", "endpoint_type"],
  },
  both: {
    keys: ["logged_region", "serving_region", "requested_region", "endpoint_type"],
    lists: [],
  },
};

/** SELECT list of the STS columns every STS query shares, over `events` (with WHERE applied). */
export const STS_COLUMNS_SQL = `aws_region AS logged_region,
    ${SERVING_REGION_SQL} AS serving_region,
    ${REQUESTED_REGION_SQL} AS requested_region,
    ${ENDPOINT_TYPE_SQL} AS endpoint_type`;

function limitOf(n: number | undefined): number {
  const limit = n ?? 20;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new QueryOptionsError(
      "value-invalid",
      "eventIdLimit",
      n,
      `eventIdLimit must be a whole number >= 0`,
    );
  }
  return limit;
}

/** STS calls by region and event name: calls, errors, principals, source IPs, first/last seen. */
export async function stsByRegion(
  c: Case,
  options: StsByRegionOptions = {},
): Promise<QueryResult<StsRegionRow>> {
  const groupBy = oneOf(options.groupBy, STS_GROUPINGS, "groupBy", "both");
  const limit = limitOf(options.eventIdLimit);
  const where = filtersToSql(normalizeFilters(options), {
    regionColumns: ["aws_region", "sts_serving_region"],
  });
  const { keys, lists } = GROUP_COLUMNS[groupBy];
  const listColumns = lists.map((l) => `list_sort(list_distinct(list(${l}))) AS ${l}s`);
  const sql = `WITH sts AS (
  SELECT event_id, event_time, event_name, error_code, actor AS principal, source_ip,
    ${STS_COLUMNS_SQL}
  FROM events
  WHERE event_source = '${STS_SOURCE}' AND ${where.sql}
)
SELECT ${[...keys, ...listColumns].join(", ")},
  coalesce(event_name, '') AS event_name,
  count(*) AS calls,
  count(*) FILTER (WHERE endpoint_type = 'global') AS global_endpoint_calls,
  count(error_code) AS errors,
  histogram(error_code) FILTER (WHERE error_code IS NOT NULL) AS errors_by_code,
  count(DISTINCT principal) AS principals,
  count(DISTINCT source_ip) AS source_ips,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  ${
    // min_by with a count keeps only the first ids while aggregating: a sorted list of every id,
    // then sliced, was ten times slower.
    limit > 0 ? `min_by(event_id, {'t': event_time, 'id': event_id}, ${limit})` : "[]::VARCHAR[]"
  } AS event_ids,
  greatest(count(*) - ${limit}, 0) AS event_ids_omitted
FROM sts
GROUP BY ${[...keys, "event_name"].join(", ")}
ORDER BY ${keys.map((k) => `${k} NULLS LAST`).join(", ")}, calls DESC, event_name`;
  const result = await c.sql<Row>(sql, where.params);
  const rows = result.rows.map(
    (r) => ({ ...r, errors_by_code: mapObject(r.errors_by_code) }) as unknown as StsRegionRow,
  );
  return { ...result, rows, types: { ...result.types, errors_by_code: "json" } };
}

/** A DuckDB MAP read back as `[{key, value}]` (or null), as a plain object. */
export function mapObject(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!Array.isArray(value)) return out;
  for (const entry of value as { key: unknown; value: unknown }[]) {
    out[String(entry.key)] = Number(entry.value);
  }
  return out;
}
