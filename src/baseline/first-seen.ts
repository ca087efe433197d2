/**
 * First-seen ("new terms") findings: per actor, values of a field seen in the detection window
 * and never in the baseline. Each finding rests on the first burst of the new value (its events
 * until a gap longer than the grouping gap): that is when the value was new. Later uses are
 * counted, not listed.
 */
import type { FindingKind } from "./finding.js";
import { ACTORS_TABLE, SCOPE_TABLE } from "./scope.js";
import type { SqlRunner } from "./sql-runner.js";

/** A column of the scope table, or an expression over them, given the table's alias. */
type Expr = (alias: string) => string;

export interface TermSpec {
  kind: FindingKind;
  /** The field's name in findings and suppression rules. */
  field: string;
  /** Human name of the values, plural ("regions"). */
  noun: string;
  value: Expr;
  /** Parts that must each be known for the actor: a new combination of known values. */
  known?: Expr[];
  /** List the new addresses the value covers (for networks). */
  withAddresses?: boolean;
}

const col =
  (name: string): Expr =>
  (a) =>
    `${a}.${name}`;
const combo =
  (...names: string[]): Expr =>
  (a) =>
    names.map((n) => `${a}.${n}`).join(" || ' + ' || ");

/**
 * The terms. A new address inside a known network is its own, weak, kind; a new network
 * carries the weight (and lists its addresses), so the same event is never counted twice. A
 * new version is only reported for a known client family: a new family says it already.
 * Combinations are only reported when every part is known on its own: otherwise the part's own
 * finding says it better.
 */
export const TERMS: readonly TermSpec[] = [
  { kind: "new-region", field: "region", noun: "regions", value: col("region") },
  {
    kind: "new-source-prefix",
    field: "source_prefix",
    noun: "networks",
    value: col("source_prefix"),
    withAddresses: true,
  },
  {
    kind: "new-source-ip",
    field: "source_ip",
    noun: "addresses",
    value: col("source_ip"),
    known: [col("source_prefix")],
  },
  {
    kind: "new-user-agent-family",
    field: "user_agent_family",
    noun: "clients",
    value: col("user_agent_family"),
  },
  {
    kind: "new-user-agent-version",
    field: "user_agent_version",
    noun: "client versions",
    value: col("user_agent_version"),
    known: [col("user_agent_family")],
  },
  { kind: "new-event-name", field: "event_name", noun: "event names", value: col("event_name") },
  { kind: "new-error-code", field: "error_code", noun: "error codes", value: col("error_code") },
  {
    kind: "new-combination",
    field: "region+event_name",
    noun: "region + event name pairs",
    value: combo("region", "event_name"),
    known: [col("region"), col("event_name")],
  },
  {
    kind: "new-combination",
    field: "source_prefix+user_agent_family",
    noun: "network + client pairs",
    value: combo("source_prefix", "user_agent_family"),
    known: [col("source_prefix"), col("user_agent_family")],
  },
];

export interface FirstSeenRow {
  actor: string;
  value: string;
  /** Events of the first burst. */
  n: number;
  /** Events with the value in the whole detection window, and in how many bursts. */
  total: number;
  bursts: number;
  first_seen: string;
  last_seen: string;
  event_ids: string[];
  addresses: string[] | null;
  baseline_days: number;
  baseline_values: string[];
  baseline_value_count: number;
}

export interface FirstSeenOptions {
  minHistoryDays: number;
  eventIdLimit: number;
  /** Gap that ends a burst. */
  gapMinutes: number;
  /** How many baseline values an explanation lists. */
  valueLimit: number;
}

export function firstSeenSql(term: TermSpec): string {
  const v = term.value;
  const known = (term.known ?? [])
    .map(
      (k) => `
    AND EXISTS (SELECT 1 FROM ${SCOPE_TABLE} b
                WHERE NOT b.detect AND b.actor = s.actor AND ${k("b")} = ${k("s")})`,
    )
    .join("");
  const addresses = term.withAddresses
    ? "list_sort(list(DISTINCT address) FILTER (WHERE burst = 0))[1:$value_limit]"
    : "NULL::VARCHAR[]";
  return `WITH scored AS (
  SELECT actor, baseline_days FROM ${ACTORS_TABLE} WHERE baseline_days >= $min_days
),
new_rows AS (
  SELECT s.actor, ${v("s")} AS value, s.event_time, s.event_id, s.source_ip AS address
  FROM ${SCOPE_TABLE} s SEMI JOIN scored USING (actor)
  WHERE s.detect AND ${v("s")} IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${SCOPE_TABLE} b
                    WHERE NOT b.detect AND b.actor = s.actor AND ${v("b")} = ${v("s")})${known}
),
breaks AS (
  SELECT *, CASE WHEN event_time - lag(event_time) OVER w > to_minutes($gap_minutes::BIGINT)
    THEN 1 ELSE 0 END AS brk
  FROM new_rows WINDOW w AS (PARTITION BY actor, value ORDER BY event_time, event_id)
),
bursts AS (
  SELECT *, sum(brk) OVER (PARTITION BY actor, value ORDER BY event_time, event_id
                           ROWS UNBOUNDED PRECEDING) AS burst
  FROM breaks
),
found AS (
  SELECT actor, value,
    count(*) FILTER (WHERE burst = 0) AS n,
    count(*) AS total,
    max(burst) + 1 AS bursts,
    min(event_time) AS first_seen,
    max(event_time) FILTER (WHERE burst = 0) AS last_seen,
    min_by(event_id, {'t': event_time, 'id': event_id}, $id_limit) FILTER (WHERE burst = 0) AS event_ids,
    ${addresses} AS addresses
  FROM bursts GROUP BY actor, value
),
history AS (
  SELECT s.actor, list_sort(list(DISTINCT ${v("s")}))[1:$value_limit] AS baseline_values,
    count(DISTINCT ${v("s")}) AS baseline_value_count
  FROM ${SCOPE_TABLE} s SEMI JOIN found USING (actor)
  WHERE NOT s.detect AND ${v("s")} IS NOT NULL
  GROUP BY s.actor
)
SELECT f.*, a.baseline_days,
  coalesce(h.baseline_values, []) AS baseline_values,
  coalesce(h.baseline_value_count, 0) AS baseline_value_count
FROM found f JOIN scored a USING (actor) LEFT JOIN history h USING (actor)
ORDER BY f.actor, f.value`;
}

export async function findFirstSeen(
  sql: SqlRunner,
  options: FirstSeenOptions,
): Promise<{ term: TermSpec; rows: FirstSeenRow[] }[]> {
  const out: { term: TermSpec; rows: FirstSeenRow[] }[] = [];
  for (const term of TERMS) {
    const rows = await sql.rows<FirstSeenRow>(`first-seen ${term.field}`, firstSeenSql(term), {
      min_days: options.minHistoryDays,
      id_limit: options.eventIdLimit,
      gap_minutes: options.gapMinutes,
      value_limit: options.valueLimit,
    });
    out.push({ term, rows });
  }
  return out;
}
