/**
 * The events a run looks at, as one temporary table with the fields the baseline compares:
 * only the baseline and detection windows, only the columns needed, and user agents and
 * addresses parsed once per distinct value rather than once per event.
 */
import type { SqlParams } from "../query/case.js";
import type { SqlFragment } from "../query/filters.js";
import { sourceAddressSql, sourcePrefixSql } from "./network.js";
import type { SqlRunner } from "./sql-runner.js";
import { userAgentFamilySql, userAgentVersionSql } from "./user-agent.js";
import type { BaselineWindows } from "./windows.js";

export const SCOPE_TABLE = "baseline_scope";
export const ACTORS_TABLE = "baseline_actors";

export function windowParams(w: BaselineWindows): SqlParams {
  return {
    baseline_from: w.baseline.from,
    baseline_to: w.baseline.to,
    detect_from: w.detection.from,
    detect_to: w.detection.to,
  };
}

/**
 * Services that have one global endpoint and log their calls in us-east-1 wherever the caller
 * is. Such a call says nothing about which region a principal works in, so it takes no part in
 * the region terms (a principal that never made one still gets a new event name).
 *
 * Note: the list holds the global services a CloudTrail archive commonly shows, not every one
 * AWS runs; a call to a global service missing from it counts as a call in us-east-1.
 */
export const GLOBAL_SERVICE_SOURCES: readonly string[] = [
  "iam.amazonaws.com",
  "organizations.amazonaws.com",
  "account.amazonaws.com",
  "ce.amazonaws.com",
  "cloudfront.amazonaws.com",
  "route53.amazonaws.com",
  "globalaccelerator.amazonaws.com",
  "support.amazonaws.com",
  "budgets.amazonaws.com",
  "health.amazonaws.com",
];

/**
 * The region a call was made in, for the region terms: NULL for global services, for S3's
 * ListBuckets (a global call), and for STS's global endpoint (the caller chose an endpoint, not
 * a region; it is logged in us-east-1 wherever it was served).
 */
const REGION_SQL = `CASE
    WHEN e.event_source IN (${GLOBAL_SERVICE_SOURCES.map((x) => `'${x}'`).join(", ")}) THEN NULL
    WHEN e.event_source = 's3.amazonaws.com' AND e.event_name = 'ListBuckets' THEN NULL
    WHEN e.event_source = 'sts.amazonaws.com'
      AND coalesce(e.sts_endpoint_type = 'global', e.tls_host = 'sts.amazonaws.com', false) THEN NULL
    ELSE e.aws_region END`;

const IN_WINDOWS = `((event_time >= $baseline_from::TIMESTAMPTZ AND event_time < $baseline_to::TIMESTAMPTZ)
    OR (event_time >= $detect_from::TIMESTAMPTZ AND event_time < $detect_to::TIMESTAMPTZ))`;

/**
 * Builds the scope tables. A principal is the case's `actor` (store/actor.ts: every session of a
 * role is the role, a SAML or web-identity caller is its principal id), so a finding's actor
 * selects the same events in a timeline or a query filter. AWS services (`service:*` actors) are
 * left out: they are AWS's own principals acting on AWS's schedule, not the customer's, and are
 * counted instead.
 *
 * For a call an AWS service made on a principal's behalf (`invoked_by` set), the address and
 * agent are the service's, so they take no part in the address and client terms.
 *
 */
export async function buildScope(
  sql: SqlRunner,
  windows: BaselineWindows,
  eventIdLimit: number,
  filter: SqlFragment,
): Promise<void> {
  const params = { ...windowParams(windows), id_limit: eventIdLimit, ...filter.params };
  await sql.run(
    "parse each distinct user agent",
    `CREATE OR REPLACE TEMP TABLE baseline_agents AS
SELECT user_agent,
  ${userAgentFamilySql("user_agent")} AS family,
  ${userAgentVersionSql("user_agent")} AS version
FROM (SELECT DISTINCT user_agent FROM events WHERE ${IN_WINDOWS} AND user_agent IS NOT NULL)`,
    params,
  );
  await sql.run(
    "parse each distinct source address",
    `CREATE OR REPLACE TEMP TABLE baseline_addresses AS
SELECT source_ip, address, ${sourcePrefixSql("address")} AS prefix
FROM (SELECT source_ip, ${sourceAddressSql("source_ip")} AS address
      FROM (SELECT DISTINCT source_ip FROM events WHERE ${IN_WINDOWS} AND source_ip IS NOT NULL))`,
    params,
  );
  await sql.run(
    "the events of both windows, with the compared fields",
    `CREATE OR REPLACE TEMP TABLE ${SCOPE_TABLE} AS
SELECT e.event_id, e.event_time, e.actor,
  e.event_time >= $detect_from::TIMESTAMPTZ AS detect,
  date_trunc('day', e.event_time) AS day,
  date_trunc('hour', e.event_time) AS hour,
  hour(e.event_time) AS hour_of_day,
  ${REGION_SQL} AS region,
  CASE WHEN e.invoked_by IS NULL THEN a.address END AS source_ip,
  CASE WHEN e.invoked_by IS NULL THEN a.prefix END AS source_prefix,
  CASE WHEN e.invoked_by IS NULL THEN u.family END AS user_agent_family,
  CASE WHEN e.invoked_by IS NULL AND nullif(u.version, '') IS NOT NULL
    THEN u.family || '/' || u.version END AS user_agent_version,
  e.event_name,
  nullif(e.error_code, '') AS error_code,
  -- Event family: the service and the verb of the call (Describe*, List*, AssumeRole*, ...).
  replace(e.event_source, '.amazonaws.com', '') || ' '
    || coalesce(nullif(regexp_extract(e.event_name, '^(AssumeRole|[A-Z][a-z]+)', 1), ''), e.event_name, '?')
    || '*' AS event_family
FROM (
  SELECT e.* FROM events e
  WHERE ${IN_WINDOWS.replaceAll("event_time", "e.event_time")} AND (${filter.sql})
    AND e.actor IS NOT NULL AND e.actor NOT LIKE 'service:%'
) e
LEFT JOIN baseline_agents u USING (user_agent)
LEFT JOIN baseline_addresses a USING (source_ip)`,
    params,
  );
  await sql.run(
    "per actor: baseline history and detection activity",
    `CREATE OR REPLACE TEMP TABLE ${ACTORS_TABLE} AS
SELECT actor,
  count(DISTINCT day) FILTER (WHERE NOT detect) AS baseline_days,
  count(*) FILTER (WHERE NOT detect) AS baseline_events,
  count(*) FILTER (WHERE detect) AS detection_events,
  min(event_time) FILTER (WHERE detect) AS first_seen,
  max(event_time) FILTER (WHERE detect) AS last_seen,
  min_by(event_id, {'t': event_time, 'id': event_id}, $id_limit) FILTER (WHERE detect) AS event_ids
FROM ${SCOPE_TABLE}
GROUP BY actor
HAVING count(*) FILTER (WHERE detect) > 0`,
    params,
  );
}

export interface ScopeCounts {
  /** Events of the baseline window that the baseline is built from. */
  baselineEvents: number;
  /** Events of the detection window that are scored. */
  detectionEvents: number;
  /** Days of the baseline window with at least one of those events. */
  baselineCoveredDays: number;
  /** AWS service actors active in the detection window, left out of the baseline. */
  serviceActors: number;
  serviceEvents: number;
  /** Events of the detection window whose caller cannot be told (no ARN, account or id). */
  unattributedEvents: number;
}

/**
 * What the scope holds and what it leaves out, so that the events of the detection window add
 * up: detectionEvents + serviceEvents + unattributedEvents = all of them (within the filters).
 */
export async function scopeCounts(
  sql: SqlRunner,
  windows: BaselineWindows,
  filter: SqlFragment,
): Promise<ScopeCounts> {
  const [row] = await sql.rows<Record<string, number>>(
    "event counts of the windows, and the events left out",
    `WITH left_out AS (
  SELECT e.actor
  FROM events e
  WHERE e.event_time >= $detect_from::TIMESTAMPTZ AND e.event_time < $detect_to::TIMESTAMPTZ
    AND (${filter.sql})
)
SELECT
  (SELECT count(*) FROM ${SCOPE_TABLE} WHERE NOT detect) AS baseline_events,
  (SELECT count(*) FROM ${SCOPE_TABLE} WHERE detect) AS detection_events,
  (SELECT count(DISTINCT day) FROM ${SCOPE_TABLE} WHERE NOT detect) AS baseline_days,
  count(DISTINCT actor) FILTER (WHERE actor LIKE 'service:%') AS service_actors,
  count(*) FILTER (WHERE actor LIKE 'service:%') AS service_events,
  count(*) FILTER (WHERE actor IS NULL) AS unattributed_events
FROM left_out`,
    { ...windowParams(windows), ...filter.params },
  );
  return {
    baselineEvents: Number(row?.baseline_events ?? 0),
    detectionEvents: Number(row?.detection_events ?? 0),
    baselineCoveredDays: Number(row?.baseline_days ?? 0),
    serviceActors: Number(row?.service_actors ?? 0),
    serviceEvents: Number(row?.service_events ?? 0),
    unattributedEvents: Number(row?.unattributed_events ?? 0),
  };
}

export async function dropScope(sql: SqlRunner): Promise<void> {
  for (const t of ["baseline_agents", "baseline_addresses", SCOPE_TABLE, ACTORS_TABLE]) {
    await sql.run(`drop ${t}`, `DROP TABLE IF EXISTS ${t}`);
  }
}
