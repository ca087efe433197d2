/**
 * Unused trust: roles of the IAM snapshots that no successful assumption in the time range used.
 * A role whose account's trail is not in the case for the range cannot be judged (its
 * assumptions, if any, would be in that trail): such rows say so (`account_events` is 0).
 */
import { kindsOfRows } from "../query/columns.js";
import type { Case, QueryResult, SqlParams } from "../query/case.js";
import { filtersToSql, listValue, normalizeFilters } from "../query/filters.js";
import { STS_SOURCE } from "../query/sts-regions.js";
import { ASSUME_EVENT_NAMES, type AssumptionSelection } from "./assumptions.js";
import type { TrustBreadth } from "./breadth.js";
import { CURRENT_ROLES_SQL, ensureIamReadable } from "./schema.js";
import type { TrustContext } from "./trust.js";

/** A role of the snapshots that no successful assumption used in the time range. */
export interface UnusedRoleRow {
  role_arn: string;
  account_id: string;
  role_name: string;
  path: string | null;
  /** A service-linked role (path /aws-service-role/): AWS assumes it, often without a log entry. */
  service_linked: boolean;
  create_date: string | null;
  /** What the snapshot says: RoleLastUsed (a hint the logs may be incomplete when recent). */
  snapshot_last_used_at: string | null;
  snapshot_last_used_region: string | null;
  snapshot_id: number;
  /** Assumptions of the role in the range that did not succeed (denied or failed). */
  unsuccessful_attempts: number;
  last_attempt: string | null;
  /** Events in the range delivered to the role's account's trail: 0 means it cannot be judged. */
  account_events: number;
  /** Who the trust policy names (principal entries, as written, of its Allow statements). */
  trusted: string[];
  /** The breadth of its broadest Allow statement, if broad. */
  broad_trust: TrustBreadth | null;
}

export const UNUSED_ROLE_COLUMNS: (keyof UnusedRoleRow)[] = [
  "role_arn",
  "account_id",
  "service_linked",
  "account_events",
  "unsuccessful_attempts",
  "last_attempt",
  "snapshot_last_used_at",
  "snapshot_last_used_region",
  "create_date",
  "trusted",
  "broad_trust",
  "role_name",
  "path",
  "snapshot_id",
];

/**
 * The SQL of {@link unusedRoles}. Of the filters, the time range bounds the events, `accounts`
 * selects roles by their account and `roles` by ARN or name; the others do not apply to roles.
 */
export function unusedRolesSql(options: AssumptionSelection = {}): {
  sql: string;
  params: SqlParams;
} {
  const f = normalizeFilters(options);
  const time = filtersToSql({ ...f, accounts: [], principals: [], eventNames: [], regions: [] });
  const params: SqlParams = { ...time.params, assume_names: listValue([...ASSUME_EVENT_NAMES]) };
  const roleWhere: string[] = [];
  if (f.accounts.length) {
    params.accounts = listValue(f.accounts);
    roleWhere.push("list_contains($accounts, r.account_id)");
  }
  const roles = (options.roles ?? []).map((r) => r.trim().toLowerCase()).filter((r) => r);
  if (roles.length) {
    params.roles = listValue(roles);
    roleWhere.push(
      "(list_contains($roles, lower(r.arn)) OR list_contains($roles, lower(r.role_name)))",
    );
  }
  const sql = `WITH attempts AS (
  SELECT nullif(split_part(request_parameters->>'$.roleArn', ':', 5), '') AS account_id,
    lower(regexp_extract(request_parameters->>'$.roleArn', 'role/(?:.*/)?([^/]+)$', 1)) AS role_key,
    count(DISTINCT coalesce(shared_event_id, event_id)) FILTER (WHERE error_code IS NULL) AS succeeded,
    count(DISTINCT coalesce(shared_event_id, event_id)) FILTER (WHERE error_code IS NOT NULL) AS unsuccessful,
    max(event_time) AS last_attempt
  FROM events
  WHERE event_source = '${STS_SOURCE}' AND list_contains($assume_names, event_name) AND ${time.sql}
  GROUP BY ALL
), trails AS (
  SELECT recipient_account_id AS account_id, count(*) AS events
  FROM events WHERE ${time.sql} GROUP BY ALL
)
SELECT r.arn AS role_arn, r.account_id, r.role_name, r.path,
  coalesce(r.path LIKE '/aws-service-role/%', false) AS service_linked,
  r.create_date, r.last_used_at AS snapshot_last_used_at,
  r.last_used_region AS snapshot_last_used_region, r.snapshot_id,
  coalesce(a.unsuccessful, 0) AS unsuccessful_attempts, a.last_attempt,
  coalesce(t.events, 0) AS account_events
FROM ${CURRENT_ROLES_SQL} r
LEFT JOIN attempts a ON a.account_id = r.account_id AND a.role_key = lower(r.role_name)
LEFT JOIN trails t ON t.account_id = r.account_id
WHERE coalesce(a.succeeded, 0) = 0${roleWhere.length ? ` AND ${roleWhere.join(" AND ")}` : ""}
ORDER BY r.account_id, r.role_name`;
  return { sql, params };
}

type UnusedSqlRow = Omit<UnusedRoleRow, "trusted" | "broad_trust">;

/** Roles of the snapshots with no successful assumption in the range. */
export async function unusedRolesWith(
  c: Case,
  context: TrustContext,
  options: AssumptionSelection = {},
): Promise<QueryResult<UnusedRoleRow>> {
  await ensureIamReadable(c.database.connection, c.database.readOnly);
  const { sql, params } = unusedRolesSql(options);
  const result = await c.sql<UnusedSqlRow>(sql, params);
  const rows = result.rows.map((r): UnusedRoleRow => {
    const role = context.roles.get(r.role_arn);
    const trusted: string[] = [];
    let broad: TrustBreadth | null = null;
    for (const s of role?.policy.statements ?? []) {
      if (s.effect !== "Allow") continue;
      const p = s.principal;
      if (s.notPrincipal) trusted.push("NotPrincipal (everyone else)");
      if (p?.wildcard) trusted.push("*");
      for (const e of [...(p?.aws ?? []), ...(p?.service ?? []), ...(p?.federated ?? [])])
        if (e !== "*" && !trusted.includes(e)) trusted.push(e);
    }
    for (const b of role?.statements ?? []) {
      if (b.breadth === "public") broad = "public";
      else if (b.breadth && broad === null) broad = b.breadth;
    }
    return { ...r, trusted, broad_trust: broad };
  });
  const columns = [...UNUSED_ROLE_COLUMNS];
  return { rows, columns, types: kindsOfRows(columns, rows), sql, params };
}
