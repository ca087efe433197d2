/**
 * The timeline of one principal, one access key or one session: its events in time order, with
 * the columns a responder picks, as timeline tools export them (CSV, JSON lines).
 */
import type { Case, QueryResult, Row } from "./case.js";
import { filtersToSql, normalizeFilters, QueryOptionsError, type QueryFilters } from "./filters.js";
import type { SqlParams } from "./case.js";

/** The `events` columns a timeline may show (the record-locating columns are left out). */
export const TIMELINE_COLUMNS = [
  "event_time",
  "event_id",
  "event_source",
  "event_name",
  "aws_region",
  "source_ip",
  "user_agent",
  "error_code",
  "error_message",
  "read_only",
  "event_type",
  "event_category",
  "management_event",
  "recipient_account_id",
  "shared_event_id",
  "vpc_endpoint_id",
  "request_id",
  "identity_type",
  "principal_arn",
  "principal_id",
  "account_id",
  "access_key_id",
  "user_name",
  "invoked_by",
  "session_issuer_arn",
  "session_issuer_type",
  "session_issuer_name",
  "session_issuer_account_id",
  "mfa_authenticated",
  "session_created_at",
  "source_identity",
  "actor",
  "sts_serving_region",
  "sts_endpoint_type",
  "tls_host",
  "request_parameters",
  "response_elements",
  "additional_event_data",
  "resources",
] as const;
export type TimelineColumn = (typeof TIMELINE_COLUMNS)[number];

export const DEFAULT_TIMELINE_COLUMNS: TimelineColumn[] = [
  "event_time",
  "event_id",
  "event_source",
  "event_name",
  "aws_region",
  "source_ip",
  "user_agent",
  "error_code",
  "principal_arn",
  "access_key_id",
];

/**
 * Whose timeline: exactly one of
 * - `principal`: an actor key (`events.actor`, as every other query, the trust check and the
 *   baseline print it: a SAML or web-identity caller's `saml:...` / `web-identity:...` too) or an
 *   ARN (a user, a role: every session of it, a session ARN);
 * - `accessKeyId`: one access key (`AKIA...` of a user, `ASIA...` of a session), with the event
 *   that issued it when the case holds it;
 * - `session`: one assumed-role session, by its ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<name>`:
 *   every session of that role with that name) or by its temporary access key id (exactly one).
 */
export interface TimelineSelector {
  principal?: string;
  accessKeyId?: string;
  session?: string;
}

export type TimelineOptions = TimelineSelector &
  QueryFilters & {
    /** Columns to show, from {@link TIMELINE_COLUMNS}; `event_id` is always included. */
    columns?: string[];
    /** At most this many events (the earliest). */
    limit?: number;
  };

/** Checks columns against the whitelist; `event_id` is added when missing. */
export function timelineColumns(columns: string[] | undefined): TimelineColumn[] {
  const chosen = columns && columns.length ? columns : DEFAULT_TIMELINE_COLUMNS;
  const out: TimelineColumn[] = [];
  for (const c of chosen) {
    if (!(TIMELINE_COLUMNS as readonly string[]).includes(c)) {
      throw new QueryOptionsError(
        "column-unknown",
        "columns",
        c,
        `unknown column ${JSON.stringify(c)}; choose from ${TIMELINE_COLUMNS.join(", ")}`,
      );
    }
    if (!out.includes(c as TimelineColumn)) out.push(c as TimelineColumn);
  }
  if (!out.includes("event_id")) out.push("event_id");
  return out;
}

/**
 * The events signed with an access key, and the event that issued it: the STS call whose response
 * holds a temporary key (AssumeRole*, GetSessionToken, GetFederationToken), or the IAM
 * CreateAccessKey that made a long-term one. A timeline of a key starts where the key was born.
 */
const KEY_SQL = `(access_key_id = $who
    OR (event_source = 'sts.amazonaws.com' AND (response_elements->>'$.credentials.accessKeyId') = $who)
    OR (event_source = 'iam.amazonaws.com' AND event_name = 'CreateAccessKey'
        AND (response_elements->>'$.accessKey.accessKeyId') = $who))`;

function selectorSql(options: TimelineOptions): { sql: string; params: SqlParams } {
  const given = (["principal", "accessKeyId", "session"] as const).filter(
    (k) => options[k] !== undefined,
  );
  if (given.length !== 1) {
    throw new QueryOptionsError(
      "selector-invalid",
      "principal",
      given,
      "give exactly one of principal, accessKeyId or session",
    );
  }
  const key = given[0]!;
  const value = String(options[key]).trim();
  if (value === "") {
    throw new QueryOptionsError("selector-invalid", key, value, `${key} is empty`);
  }
  switch (key) {
    case "principal":
      return {
        sql: `(actor = $who OR principal_arn = $who OR session_issuer_arn = $who)`,
        params: { who: value },
      };
    case "accessKeyId":
      return { sql: KEY_SQL, params: { who: value } };
    case "session":
      return /^A[SK]IA/.test(value)
        ? { sql: KEY_SQL, params: { who: value } }
        : { sql: "principal_arn = $who", params: { who: value } };
  }
}

/** The SQL of a timeline, without running it (for `COPY ... TO` exports). */
export function timelineSql(options: TimelineOptions): {
  sql: string;
  params: SqlParams;
  columns: TimelineColumn[];
} {
  const columns = timelineColumns(options.columns);
  const who = selectorSql(options);
  const where = filtersToSql(normalizeFilters(options));
  let limit = "";
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit <= 0) {
      throw new QueryOptionsError(
        "value-invalid",
        "limit",
        options.limit,
        "limit must be a whole number > 0",
      );
    }
    limit = ` LIMIT ${options.limit}`;
  }
  const sql = `SELECT ${columns.join(", ")}
FROM events
WHERE ${who.sql} AND ${where.sql}
ORDER BY event_time, event_id${limit}`;
  return { sql, params: { ...who.params, ...where.params }, columns };
}

/** The timeline: events of the principal, key or session, time-ordered, chosen columns. */
export async function timeline(c: Case, options: TimelineOptions): Promise<QueryResult<Row>> {
  const { sql, params, columns } = timelineSql(options);
  const result = await c.sql<Row>(sql, params);
  return { ...result, columns };
}

/** The same, in pages, for timelines too large to hold. */
export async function* timelinePages(c: Case, options: TimelineOptions): AsyncGenerator<Row[]> {
  const { sql, params } = timelineSql(options);
  yield* c.stream<Row>(sql, params);
}
