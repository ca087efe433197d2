/**
 * What a responder acts on, drawn from the decided assumptions, the chains and the unused roles.
 * Every finding lists the events behind it (none for an unused role: its evidence is absence).
 */
import type { RoleChainRow } from "./chains.js";
import { arnName, assumedRoleOf, type TrustCheckRow, type TrustVerdict } from "./trust.js";
import type { UnusedRoleRow } from "./unused.js";

/**
 * - `succeeded-but-not-allowed`: assumptions that succeeded although the trust policy in the
 *   snapshot does not allow them (the policy changed, the snapshot is stale, or worse);
 * - `denied-attempts`: a caller's refused assumptions, all roles together (probing when they
 *   span several roles);
 * - `outside-account`: successful assumptions by an account outside the organization (or,
 *   without one loaded, outside the accounts the case knows);
 * - `broad-trust-external`: a broadly trusting role (`*`, or a whole outside account without an
 *   external id) assumed from another account through that broad statement;
 * - `role-chain`: sessions of roles assuming other roles, as chains;
 * - `unused-role`: a role of the snapshots no successful assumption used in the time range.
 */
export const TRUST_FINDING_KINDS = [
  "succeeded-but-not-allowed",
  "denied-attempts",
  "outside-account",
  "broad-trust-external",
  "role-chain",
  "unused-role",
] as const;
export type TrustFindingKind = (typeof TRUST_FINDING_KINDS)[number];

export type FindingSeverity = "high" | "medium" | "low" | "info";

export interface TrustFinding {
  kind: TrustFindingKind;
  severity: FindingSeverity;
  /** One line for a table or a report heading. */
  title: string;
  /** The role concerned, when one; every role concerned in `roles`. */
  role_arn: string | null;
  roles: string[];
  /** The caller concerned (see `callerOf`), and its account. */
  caller: string | null;
  caller_account: string | null;
  /** Calls behind the finding (chains: chains; unused roles: 0). */
  calls: number;
  first_seen: string | null;
  last_seen: string | null;
  /** The trust check's verdicts over those calls. */
  verdicts: Partial<Record<TrustVerdict, number>>;
  /** Why: the policy engine's explanation for decision-based findings, else the facts. */
  explanation: string;
  event_ids: string[];
}

/** The columns of {@link TrustFinding} that summarise it, for a table a person reads. */
export const TRUST_FINDING_SUMMARY_COLUMNS: (keyof TrustFinding)[] = [
  "severity",
  "kind",
  "title",
  "calls",
  "first_seen",
  "last_seen",
];

/** The columns of {@link TrustFinding}, in display order. */
export const TRUST_FINDING_COLUMNS: (keyof TrustFinding)[] = [
  ...TRUST_FINDING_SUMMARY_COLUMNS,
  "role_arn",
  "caller",
  "caller_account",
  "roles",
  "verdicts",
  "explanation",
  "event_ids",
];

export interface FindingOptions {
  /** A caller denied on at least this many roles is probing (severity high). Default 2. */
  probingMinRoles?: number;
}

const SEVERITY_ORDER: Record<FindingSeverity, number> = { high: 0, medium: 1, low: 2, info: 3 };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Rows grouped by a key, in first-seen order. */
function groupBy(
  rows: readonly TrustCheckRow[],
  key: (r: TrustCheckRow) => string,
): TrustCheckRow[][] {
  const groups = new Map<string, TrustCheckRow[]>();
  for (const r of rows) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()];
}

function fromRows(
  kind: TrustFindingKind,
  severity: FindingSeverity,
  title: string,
  rows: TrustCheckRow[],
  explanation: string,
): TrustFinding {
  const roles = [...new Set(rows.map(assumedRoleOf))];
  const callers = [...new Set(rows.map((r) => r.caller))];
  const accounts = [...new Set(rows.map((r) => r.caller_account))];
  const verdicts: Partial<Record<TrustVerdict, number>> = {};
  const ids: string[] = [];
  const seen = new Set<string>();
  let first: string | null = null;
  let last: string | null = null;
  for (const r of rows) {
    verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
    for (const id of r.event_ids) if (!seen.has(id)) (seen.add(id), ids.push(id));
    if (first === null || r.event_time < first) first = r.event_time;
    if (last === null || r.event_time > last) last = r.event_time;
  }
  return {
    kind,
    severity,
    title,
    role_arn: roles.length === 1 ? roles[0]! : null,
    roles,
    caller: callers.length === 1 ? callers[0]! : null,
    caller_account: accounts.length === 1 ? (accounts[0] ?? null) : null,
    calls: rows.length,
    first_seen: first,
    last_seen: last,
    verdicts,
    explanation,
    event_ids: ids,
  };
}

/** The distinct explanations of a group, the first few, for a finding's text. */
function explanations(rows: TrustCheckRow[], limit = 3): string {
  const distinct = [...new Set(rows.map((r) => r.explanation))];
  const shown = distinct.slice(0, limit).join(" | ");
  return distinct.length > limit ? `${shown} | (${distinct.length - limit} more)` : shown;
}

/** Every finding, most severe first. */
export function trustFindings(
  rows: readonly TrustCheckRow[],
  chains: readonly RoleChainRow[],
  unused: readonly UnusedRoleRow[],
  options: FindingOptions = {},
): TrustFinding[] {
  const minRoles = options.probingMinRoles ?? 2;
  const out: TrustFinding[] = [];

  for (const g of groupBy(
    rows.filter((r) => r.verdict === "succeeded-but-not-allowed"),
    (r) => `${assumedRoleOf(r)}\u0000${r.caller}`,
  )) {
    const r = g[0]!;
    out.push(
      fromRows(
        "succeeded-but-not-allowed",
        "high",
        `${r.caller} assumed ${arnName(assumedRoleOf(r))} ${plural(g.length, "time")}; the trust policy in the snapshot does not allow it`,
        g,
        explanations(g),
      ),
    );
  }

  for (const g of groupBy(
    rows.filter((r) => r.outcome === "denied"),
    (r) => r.caller,
  )) {
    const roles = [...new Set(g.map(assumedRoleOf))];
    const probing = roles.length >= minRoles;
    const parts = groupBy(g, assumedRoleOf).map((h) => {
      const x = h[0]!;
      const why =
        x.decision === "no-snapshot"
          ? "role not in snapshot"
          : x.decision === "allow"
            ? `trust allows; refused by ${x.denial_reason ?? "another policy"}`
            : `trust ${x.decision}`;
      return `${arnName(assumedRoleOf(x))} x${h.length} (${why})`;
    });
    out.push(
      fromRows(
        "denied-attempts",
        probing ? "high" : "medium",
        `${g[0]!.caller} was refused ${plural(g.length, "assumption")} of ${plural(roles.length, "role")}${probing ? " (probing)" : ""}`,
        g,
        `Refused: ${parts.join("; ")}.`,
      ),
    );
  }

  for (const g of groupBy(
    rows.filter(
      (r) =>
        r.outcome === "succeeded" &&
        (r.caller_relation === "outside-organization" || r.caller_relation === "unknown-account"),
    ),
    (r) => `${r.caller_account}\u0000${assumedRoleOf(r)}`,
  )) {
    const r = g[0]!;
    const where =
      r.caller_relation === "outside-organization"
        ? "outside the organization"
        : "not among the accounts the case knows";
    out.push(
      fromRows(
        "outside-account",
        "medium",
        `Account ${r.caller_account} (${where}) assumed ${arnName(assumedRoleOf(r))} ${plural(g.length, "time")}`,
        g,
        explanations(g),
      ),
    );
  }

  for (const g of groupBy(
    rows.filter(
      (r) => r.outcome === "succeeded" && r.broad_trust !== null && r.cross_account === true,
    ),
    (r) => `${assumedRoleOf(r)}\u0000${r.caller}`,
  )) {
    const r = g[0]!;
    const shape =
      r.broad_trust === "public"
        ? "trusts every principal"
        : "trusts a whole outside account without an external id";
    out.push(
      fromRows(
        "broad-trust-external",
        r.broad_trust === "public" ? "high" : "medium",
        `${arnName(assumedRoleOf(r))} ${shape} and was assumed from account ${r.caller_account} by ${r.caller}`,
        g,
        explanations(g),
      ),
    );
  }

  for (const c of chains) {
    out.push({
      kind: "role-chain",
      severity: c.cross_account_hops > 0 || c.last_outcome !== "succeeded" ? "low" : "info",
      title: `${c.path} (${plural(c.chains, "chain")}, ${plural(c.hops, "hop")})`,
      role_arn: c.roles[c.roles.length - 1] ?? null,
      roles: c.roles,
      caller: c.origin,
      caller_account: null,
      calls: c.chains,
      first_seen: c.first_seen,
      last_seen: c.last_seen,
      verdicts: c.verdicts,
      explanation:
        c.origin_kind === "session-origin-not-in-case"
          ? `A session of ${c.origin}, whose own assumption is not in the case, assumed ${c.roles.map(arnName).join(" then ")}.`
          : `${c.origin} assumed ${c.roles.map(arnName).join(", whose session assumed ")}; hops linked by the access key each assumption issued.`,
      event_ids: c.event_ids,
    });
  }

  for (const u of unused) {
    if (u.account_events === 0) continue;
    out.push({
      kind: "unused-role",
      severity: "info",
      title: `${u.role_arn} was not assumed in the time range${u.unsuccessful_attempts ? ` (${plural(u.unsuccessful_attempts, "unsuccessful attempt")})` : ""}`,
      role_arn: u.role_arn,
      roles: [u.role_arn],
      caller: null,
      caller_account: null,
      calls: 0,
      first_seen: null,
      last_seen: u.last_attempt,
      verdicts: {},
      explanation:
        `No successful assumption of ${u.role_arn} in the range although its account's trail holds ${u.account_events} events; ` +
        `its trust names ${u.trusted.join(", ") || "no one"}` +
        (u.snapshot_last_used_at
          ? `; the snapshot says it was last used ${u.snapshot_last_used_at}`
          : "") +
        ".",
      event_ids: [],
    });
  }

  return out.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      TRUST_FINDING_KINDS.indexOf(a.kind) - TRUST_FINDING_KINDS.indexOf(b.kind) ||
      b.calls - a.calls ||
      a.title.localeCompare(b.title),
  );
}
