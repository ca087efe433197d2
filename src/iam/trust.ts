/**
 * The trust check: every role assumption in the case, decided against the trust policy of the
 * role in the IAM snapshot, with the engine's explanation.
 *
 * DuckDB selects the assumptions and joins each to its role (assumptions.ts); only those calls,
 * few next to the case, come to JS, where the policy engine decides each one. Nothing is guessed:
 * a decision that depends on a key the log cannot tell is `undetermined`, with the keys named.
 */
import type { ColumnKind, ColumnKinds } from "../query/columns.js";
import type { Case, QueryResult, SqlParams } from "../query/case.js";
import { outcomeOf, type CallOutcome } from "../query/sts-regions.js";
import {
  DecisionCache,
  evaluatePolicy,
  parsePolicy,
  summarizeConditionKeys,
  type Decision,
  type DecisionKind,
  type Policy,
} from "./policy/index.js";
import {
  selectAssumptions,
  type AssumeEventName,
  type AssumptionCall,
  type AssumptionSelection,
} from "./assumptions.js";
import { policyBreadth, type StatementBreadth, type TrustBreadth } from "./breadth.js";
import { callerOf, requestOf, type AccountContext, type CallerKind } from "./request.js";
import { CURRENT_ROLES_SQL, ensureIamReadable } from "./schema.js";
import { actorLabel } from "../store/actor.js";

/** How the log's outcome and the snapshot's trust policy compare, for one call. */
export const TRUST_VERDICTS = [
  /** The trust policy allows it and it succeeded. */
  "allowed",
  /** The trust policy does not allow it and it was denied. */
  "refused-as-trust-would",
  /** It succeeded, and the trust policy in the snapshot would not allow it: the policy changed,
   * the snapshot is stale, or the logs deserve a closer look. */
  "succeeded-but-not-allowed",
  /** The trust policy allows it, yet it was denied: something else refused (an SCP, the caller's
   * identity policy, a permissions boundary...; see `denial_reason`). */
  "denied-elsewhere",
  /** It failed for another reason than access (an expired token, a bad parameter). */
  "failed",
  /** The decision depends on condition keys the log cannot tell (`unknown_keys`). */
  "undetermined",
  /** No IAM snapshot in the case holds the role. */
  "role-not-in-snapshot",
] as const;
export type TrustVerdict = (typeof TRUST_VERDICTS)[number];

export type { CallOutcome };

/**
 * Where the caller's identity comes from:
 * - `joined`: a cross-account call whose copies in both trails are in the case; the caller's
 *   trail gave the full identity the owner's copy lacks;
 * - `owner-trail-only`: only the role owner's copy, where the caller is an account;
 * - `caller-trail-only`: only the caller's copy (refused before reaching the role's account, or
 *   the owner's trail is not in the case);
 * - `same-account`: the caller and the role share the trail (and services, identity providers).
 */
export type CallerSource = "joined" | "owner-trail-only" | "caller-trail-only" | "same-account";

/**
 * Where the caller's account stands: the role's own account, another account of the organization
 * (or, with no organization loaded, an account the case knows), or outside them. Null for
 * callers without an account (services).
 */
export type CallerRelation =
  "same-account" | "organization" | "known-account" | "outside-organization" | "unknown-account";

/** What the error message says refused a denied call. */
export type DenialReason =
  | "scp"
  | "identity-policy-deny"
  | "no-identity-policy-allows"
  | "permissions-boundary"
  | "session-policy"
  | "resource-policy"
  | "not-authorized";

/** One role assumption, decided. */
export interface TrustCheckRow {
  event_time: string;
  event_name: AssumeEventName;
  /** Every copy of the call (the caller's trail and the role owner's). */
  event_ids: string[];
  /** The trail (account) each copy was delivered to, in the order of `event_ids`. */
  trails: string[];
  /** The role as asked for, and its account. */
  role_arn: string | null;
  role_account: string | null;
  /** The role's ARN in the snapshot (with its path); null when no snapshot holds it. */
  snapshot_role_arn: string | null;
  snapshot_id: number | null;
  /** Distinct trust documents the case holds for the role (more than 1: snapshots disagree). */
  trust_versions: number | null;
  /**
   * The caller's key: the case's `actor` (see {@link callerOf}), as timelines and filters take
   * it; its kind, ARN and account.
   */
  caller: string;
  caller_kind: CallerKind;
  caller_arn: string | null;
  caller_account: string | null;
  /** For SAML and web-identity callers: the identity provider (ARN, or OIDC host). */
  caller_provider: string | null;
  caller_source: CallerSource;
  caller_relation: CallerRelation | null;
  cross_account: boolean | null;
  session_name: string | null;
  external_id: string | null;
  source_identity: string | null;
  /** Whether the request carried MFA, as far as the log tells (null: unknown or absent). */
  mfa: boolean | null;
  source_ip: string | null;
  user_agent: string | null;
  requested_region: string | null;
  outcome: CallOutcome;
  error_code: string | null;
  error_message: string | null;
  denial_reason: DenialReason | null;
  /** The engine's decision on the trust policy; `no-snapshot` when there is none. */
  decision: DecisionKind | "no-snapshot";
  verdict: TrustVerdict;
  /** The statements that decided (their Sid, or `#<index>`). */
  deciding_statements: string[];
  /** For an allowed call: the breadth of the statements that allowed it, when all are broad. */
  broad_trust: TrustBreadth | null;
  /** For `undetermined`: the keys the decision depends on. */
  unknown_keys: string[];
  /** Accounts the trust delegates to: their identity policies must allow the call too. */
  delegated_to_accounts: string[];
  /** The engine's explanation (or why no decision was possible). */
  explanation: string;
  /** The caller's access key, and the key of the session the call created (chains link them). */
  caller_access_key_id: string | null;
  issued_access_key_id: string | null;
  /** The session the call created. */
  session_arn: string | null;
}

/** The columns of {@link TrustCheckRow}, in display order. */
export const TRUST_CHECK_COLUMNS: (keyof TrustCheckRow)[] = [
  "event_time",
  "event_name",
  "verdict",
  "decision",
  "outcome",
  "caller",
  "caller_kind",
  "caller_arn",
  "caller_account",
  "caller_provider",
  "caller_source",
  "caller_relation",
  "role_arn",
  "role_account",
  "snapshot_role_arn",
  "snapshot_id",
  "trust_versions",
  "cross_account",
  "session_name",
  "external_id",
  "source_identity",
  "mfa",
  "source_ip",
  "user_agent",
  "requested_region",
  "error_code",
  "error_message",
  "denial_reason",
  "deciding_statements",
  "broad_trust",
  "unknown_keys",
  "delegated_to_accounts",
  "explanation",
  "event_ids",
  "trails",
  "caller_access_key_id",
  "issued_access_key_id",
  "session_arn",
];

/**
 * The kind of each column of {@link TrustCheckRow} (declared: inferring them from the values
 * took longer than deciding the calls, and a column with no value in a case keeps its kind).
 */
export const TRUST_CHECK_TYPES: ColumnKinds = Object.fromEntries(
  TRUST_CHECK_COLUMNS.map((c): [string, ColumnKind] => [
    c,
    c === "event_time"
      ? "timestamp"
      : c === "snapshot_id" || c === "trust_versions"
        ? "integer"
        : c === "cross_account" || c === "mfa"
          ? "boolean"
          : c === "event_ids" ||
              c === "trails" ||
              c === "deciding_statements" ||
              c === "unknown_keys" ||
              c === "delegated_to_accounts"
            ? "string[]"
            : "string",
  ]),
);

/** The role a call assumed: its ARN in the snapshot when one holds it, else as asked for. */
export function assumedRoleOf(row: Pick<TrustCheckRow, "snapshot_role_arn" | "role_arn">): string {
  return row.snapshot_role_arn ?? row.role_arn ?? "(unknown role)";
}

/**
 * The last part of an ARN (a role's or a user's name), for labels; any other caller key as
 * `actorLabel` shortens it (`saml:<subject>`).
 */
export function arnName(id: string): string {
  return id.startsWith("arn:") ? id.slice(id.lastIndexOf("/") + 1) || id : actorLabel(id);
}

/** A role of the snapshot with its parsed trust policy. */
export interface SnapshotRole {
  arn: string;
  account: string;
  name: string;
  snapshotId: number;
  policy: Policy;
  /** Condition keys the trust policy tests, lower-cased. */
  testedKeys: string[];
  statements: StatementBreadth[];
}

/** What the case knows besides the calls: snapshot roles and accounts. */
export interface TrustContext {
  roles: Map<string, SnapshotRole>;
  accounts: AccountContext;
  /** Accounts the snapshots describe. */
  snapshotAccounts: string[];
  /** Whether any IAM snapshot with roles is loaded. */
  snapshotsLoaded: boolean;
  /** Whether an account belongs to the organization (or, without one, to the known accounts). */
  insider: (account: string) => boolean;
}

/** Every SQL statement a result ran, named, so a report can show its work. */
export interface NamedQuery {
  name: string;
  sql: string;
  params: SqlParams;
}

const ACCOUNTS_SQL = `SELECT 'organization' AS source, account_id, org_id FROM iam_org_accounts
UNION ALL
SELECT 'organization', management_account_id, org_id FROM iam_organizations
  WHERE management_account_id IS NOT NULL
UNION ALL
SELECT 'snapshot', unnest(accounts), NULL FROM iam_snapshots WHERE kind <> 'organization'
UNION ALL
SELECT 'trail', recipient_account_id, NULL FROM (
  SELECT DISTINCT recipient_account_id FROM events WHERE recipient_account_id IS NOT NULL)`;

const ROLES_SQL = `SELECT arn, account_id, role_name, snapshot_id, trust_policy::VARCHAR AS trust_policy
FROM ${CURRENT_ROLES_SQL} ORDER BY account_id, role_name`;

/** Reads the snapshot roles and what the case knows about accounts. */
export async function trustContext(
  c: Case,
): Promise<{ context: TrustContext; queries: NamedQuery[] }> {
  await ensureIamReadable(c.database.connection, c.database.readOnly);
  const accountRows = await c.sql<{ source: string; account_id: string; org_id: string | null }>(
    ACCOUNTS_SQL,
  );
  const organizationOf = new Map<string, string>();
  const known = new Set<string>();
  const snapshotAccounts = new Set<string>();
  let organizationLoaded = false;
  for (const r of accountRows.rows) {
    if (!r.account_id) continue;
    known.add(r.account_id);
    if (r.source === "organization") {
      organizationLoaded = true;
      if (r.org_id) organizationOf.set(r.account_id, r.org_id);
    }
    if (r.source === "snapshot") snapshotAccounts.add(r.account_id);
  }
  const members = new Set(
    accountRows.rows.filter((r) => r.source === "organization").map((r) => r.account_id),
  );
  const insider = (account: string) =>
    organizationLoaded ? members.has(account) : known.has(account);

  const roleRows = await c.sql<{
    arn: string;
    account_id: string;
    role_name: string;
    snapshot_id: number;
    trust_policy: string;
  }>(ROLES_SQL);
  const roles = new Map<string, SnapshotRole>();
  for (const r of roleRows.rows) {
    // Stored documents were parsed when loaded; a failure here is a broken invariant.
    const policy = parsePolicy(JSON.parse(r.trust_policy), {
      kind: "trust",
      field: `iam_roles(${r.arn}).trust_policy`,
    });
    roles.set(r.arn, {
      arn: r.arn,
      account: r.account_id,
      name: r.role_name,
      snapshotId: r.snapshot_id,
      policy,
      testedKeys: summarizeConditionKeys(policy).keys.map((k) => k.toLowerCase()),
      statements: policyBreadth(policy, r.account_id, insider),
    });
  }
  return {
    context: {
      roles,
      accounts: { organizationOf, organizationLoaded, known },
      snapshotAccounts: [...snapshotAccounts].sort(),
      snapshotsLoaded: roles.size > 0,
      insider,
    },
    queries: [
      { name: "accounts", sql: ACCOUNTS_SQL, params: {} },
      { name: "roles", sql: ROLES_SQL, params: {} },
    ],
  };
}

/** What refused a denied call, read from the error message STS logs. */
export function denialReasonOf(message: string | null): DenialReason | null {
  if (!message) return null;
  if (/service control policy/i.test(message)) return "scp";
  if (/permissions boundary/i.test(message)) return "permissions-boundary";
  if (/session policy/i.test(message)) return "session-policy";
  if (/explicit deny in an identity-based policy/i.test(message)) return "identity-policy-deny";
  if (/no identity-based policy allows/i.test(message)) return "no-identity-policy-allows";
  if (/resource-based policy/i.test(message)) return "resource-policy";
  if (/not authorized/i.test(message)) return "not-authorized";
  return null;
}

function relationOf(
  callerAccount: string | null,
  roleAccount: string | null,
  kind: CallerKind,
  ctx: TrustContext,
): CallerRelation | null {
  if (kind === "service" || callerAccount === null) return null;
  if (roleAccount !== null && callerAccount === roleAccount) return "same-account";
  const { accounts } = ctx;
  if (accounts.organizationLoaded) {
    return ctx.insider(callerAccount) ? "organization" : "outside-organization";
  }
  return accounts.known.has(callerAccount) ? "known-account" : "unknown-account";
}

function sourceOf(call: AssumptionCall, cross: boolean | null): CallerSource {
  if (call.identity_type === "AWSAccount") return "owner-trail-only";
  if (cross) return call.event_ids.length > 1 ? "joined" : "caller-trail-only";
  return "same-account";
}

function statementLabel(d: Decision, i: number): string {
  const t = d.statements[i]!;
  return t.sid ?? `#${t.index}`;
}

/**
 * Decides one call against the context. Give a `DecisionCache` (made with `{ kind: "trust" }`)
 * when deciding many calls: each distinct request is then evaluated once, with the same result.
 */
export function decideCall(
  call: AssumptionCall,
  ctx: TrustContext,
  cache?: DecisionCache,
): TrustCheckRow {
  const caller = callerOf(call);
  const role = call.snapshot_role_arn ? ctx.roles.get(call.snapshot_role_arn) : undefined;
  const roleAccount = call.role_account;
  const cross =
    caller.account !== null && roleAccount !== null ? caller.account !== roleAccount : null;
  const outcome = outcomeOf(call.error_code);
  const request = requestOf(call, caller, ctx.accounts, role?.testedKeys ?? []);
  const mfa = request.keys["aws:MultiFactorAuthPresent"];
  const row: TrustCheckRow = {
    event_time: call.event_time,
    event_name: call.event_name,
    event_ids: call.event_ids,
    trails: call.trails,
    role_arn: call.role_arn,
    role_account: roleAccount,
    snapshot_role_arn: role?.arn ?? null,
    snapshot_id: role?.snapshotId ?? null,
    trust_versions: role ? call.trust_versions : null,
    caller: caller.key,
    caller_kind: caller.kind,
    caller_arn: caller.arn,
    caller_account: caller.account,
    caller_provider: caller.provider,
    caller_source: sourceOf(call, cross),
    caller_relation: relationOf(caller.account, roleAccount, caller.kind, ctx),
    cross_account: cross,
    session_name: call.session_name,
    external_id: call.external_id,
    source_identity: call.requested_source_identity ?? call.session_source_identity,
    mfa: typeof mfa === "boolean" ? mfa : null,
    source_ip: call.source_ip,
    user_agent: call.user_agent,
    requested_region: call.requested_region,
    outcome,
    error_code: call.error_code,
    error_message: call.error_message,
    denial_reason: outcome === "denied" ? denialReasonOf(call.error_message) : null,
    decision: "no-snapshot",
    verdict: "role-not-in-snapshot",
    deciding_statements: [],
    broad_trust: null,
    unknown_keys: [],
    delegated_to_accounts: [],
    explanation: "",
    caller_access_key_id: call.access_key_id,
    issued_access_key_id: call.issued_access_key_id,
    session_arn: call.session_arn,
  };
  if (!role) {
    row.explanation = call.role_arn
      ? ctx.snapshotsLoaded
        ? `No IAM snapshot in the case holds ${call.role_arn} (the snapshots cover ${ctx.snapshotAccounts.join(", ") || "no account"}), so its trust policy cannot be checked.`
        : `No IAM snapshot is loaded (trailbook iam load), so the trust policy of ${call.role_arn} cannot be checked.`
      : `The call does not name the role it asked for (no requestParameters.roleArn), so no trust policy can be checked.`;
    return row;
  }
  const decision = cache
    ? cache.evaluate(role.policy, request)
    : evaluatePolicy(role.policy, request, { kind: "trust" });
  row.decision = decision.decision;
  row.deciding_statements = decision.decidingStatements.map((i) => statementLabel(decision, i));
  // Copies: a cached decision is shared by every call that hit it.
  row.unknown_keys = [...decision.unknownKeys];
  row.delegated_to_accounts = [...decision.delegatesToAccount];
  row.explanation = decision.explanation;
  if (decision.decision === "allow" && decision.decidingStatements.length > 0) {
    const breadths = decision.decidingStatements.map(
      (i) => role.statements[decision.statements[i]!.index]!.breadth,
    );
    if (breadths.every((b) => b !== null)) row.broad_trust = breadths[0]!;
  }
  const allowed = decision.decision === "allow";
  row.verdict =
    outcome === "failed"
      ? "failed"
      : decision.decision === "undetermined"
        ? "undetermined"
        : outcome === "succeeded"
          ? allowed
            ? "allowed"
            : "succeeded-but-not-allowed"
          : allowed
            ? "denied-elsewhere"
            : "refused-as-trust-would";
  return row;
}

/** The assumptions of a case, decided, with the context and the SQL behind them. */
export interface DecidedAssumptions extends QueryResult<TrustCheckRow> {
  context: TrustContext;
  queries: NamedQuery[];
}

/** Selects the assumptions (time range and filters) and decides each one. */
export async function decideAssumptions(
  c: Case,
  options: AssumptionSelection = {},
): Promise<DecidedAssumptions> {
  const { context, queries } = await trustContext(c);
  const { rows: calls, sql, params } = await selectAssumptions(c, options);
  const cache = new DecisionCache({ kind: "trust" });
  const rows = calls.map((call) => decideCall(call, context, cache));
  return {
    rows,
    columns: [...TRUST_CHECK_COLUMNS],
    types: { ...TRUST_CHECK_TYPES },
    sql,
    params,
    context,
    queries: [...queries, { name: "assumptions", sql, params }],
  };
}
