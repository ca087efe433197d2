/**
 * STS calls whose requested region is outside the allowed regions, each with a verdict a
 * responder can act on, and a summary per principal of what they did outside.
 *
 * The selection runs in DuckDB; the verdicts come from the IAM policy engine, call by call, in JS.
 * That is affordable because calls outside the allowed regions are few next to the case.
 */
import type { Case, QueryResult, SqlParams } from "./case.js";
import { filtersToSql, listValue, normalizeFilters, type QueryFilters } from "./filters.js";
import {
  evaluateCall,
  regionLockFromPolicy,
  regionLockFromRegions,
  type LoggedStsCall,
  type RegionLock,
} from "./region-lock.js";
import { DecisionCache, type Decision } from "../iam/policy/index.js";
import { outcomeOf, STS_COLUMNS_SQL, STS_SOURCE, type CallOutcome } from "./sts-regions.js";
import { governance, parseOrganization, type Organization } from "./organization.js";
import type { ColumnKinds } from "./columns.js";
import { QueryOptionsError } from "./filters.js";

/**
 * - `succeeded-would-be-denied`: it worked, and the policy would have denied it.
 * - `denied-as-policy-would`: the policy would deny it, and it was in fact denied (access denied).
 * - `failed-would-be-denied`: the policy would deny it; it failed for another reason (see
 *   `error_code`: an expired token, invalid keys...).
 * - `not-deniable`: GetCallerIdentity and GetSessionToken, which no policy can deny.
 * - `aws-service-not-governed`: an AWS service principal (or a service-linked role), which SCPs
 *   do not govern: e.g. AWS Config assuming its role in every region.
 * - `federated-not-governed`: AssumeRoleWithSAML / AssumeRoleWithWebIdentity, made with an
 *   assertion or token rather than AWS credentials: no principal an SCP governs makes them (the
 *   role's trust policy, or a resource control policy, is what can restrict them).
 * - `account-not-governed`: the caller's account is not governed by the organization's SCPs: the
 *   management account, or an account outside the organization (`explanation` says which).
 * - `undetermined`: the outcome depends on something the log cannot tell, named in
 *   `undetermined_keys` (a condition key the policy tests, or `aws:PrincipalOrgID` when it is
 *   unknown whether the caller's account belongs to the organization).
 * - `allowed-by-policy`: the policy would not deny it.
 */
export const OUTSIDE_VERDICTS = [
  "succeeded-would-be-denied",
  "denied-as-policy-would",
  "failed-would-be-denied",
  "not-deniable",
  "aws-service-not-governed",
  "federated-not-governed",
  "account-not-governed",
  "undetermined",
  "allowed-by-policy",
] as const;
export type OutsideVerdict = (typeof OUTSIDE_VERDICTS)[number];

export interface StsOutsideOptions extends QueryFilters {
  /** The allowed regions; alone, they stand for the bare region-lock statement. */
  allowedRegions?: string[];
  /** A region-lock policy: a full document or a bare statement, as an object or JSON text. */
  policy?: unknown;
  /** The file the policy came from, for messages. */
  policyFile?: string;
  /**
   * The organization the policy is attached in (see `parseOrganization`; an object, or its JSON
   * text). Without it, the accounts whose trails are in the case are taken as its members and
   * the management account is not known: `assumptions` in the result says so.
   */
  organization?: Organization | string | unknown[];
  /** The file the organization came from, for messages. */
  organizationFile?: string;
  /** Event ids listed per principal summary. Default 20. */
  eventIdLimit?: number;
}

/** One STS call outside the allowed regions. */
export interface OutsideCallRow {
  event_id: string | null;
  event_time: string;
  event_name: string | null;
  /**
   * Who acted: the case's `actor` key (the issuing role for sessions, `account:<id>` for a
   * cross-account caller, `saml:<principalId>` for a SAML user...; see store/actor.ts), and the
   * ARN the record names.
   */
  actor: string | null;
  principal_arn: string | null;
  identity_type: string | null;
  /** The caller's account, and the account whose trail logged the call. */
  account_id: string | null;
  recipient_account_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  logged_region: string | null;
  serving_region: string | null;
  requested_region: string;
  endpoint_type: string;
  tls_host: string | null;
  error_code: string | null;
  verdict: OutsideVerdict;
  /** For `undetermined`: the condition keys the outcome depends on. */
  undetermined_keys: string[];
  /** The engine's explanation of its decision. */
  explanation: string;
  /** Links the two copies of a cross-account call (caller's and role owner's trail). */
  shared_event_id: string | null;
}

/** What one principal did outside the allowed regions. */
export interface OutsidePrincipalSummary {
  actor: string;
  identity_types: string[];
  accounts: string[];
  calls: number;
  succeeded: number;
  failed: number;
  event_names: Record<string, number>;
  requested_regions: Record<string, number>;
  verdicts: Partial<Record<OutsideVerdict, number>>;
  source_ips: string[];
  first_seen: string;
  last_seen: string;
  event_ids: string[];
  event_ids_omitted: number;
}

export interface StsOutsideResult extends QueryResult<OutsideCallRow> {
  allowedRegions: string[];
  regionsFrom: RegionLock["regionsFrom"];
  /** The policy document evaluated. */
  policy: Record<string, unknown>;
  byVerdict: Record<OutsideVerdict, number>;
  principals: OutsidePrincipalSummary[];
  /** The organization used to decide which callers the policy governs, when one was given. */
  organization: Organization | null;
  /** What the verdicts take for granted, in sentences for a report. */
  assumptions: string[];
}

/** The column kinds of {@link OutsideCallRow}. */
export const OUTSIDE_TYPES: ColumnKinds = {
  event_time: "timestamp",
  undetermined_keys: "string[]",
};

/** The column kinds of {@link OutsidePrincipalSummary}. */
export const OUTSIDE_PRINCIPAL_TYPES: ColumnKinds = {
  actor: "string",
  identity_types: "string[]",
  accounts: "string[]",
  calls: "integer",
  succeeded: "integer",
  failed: "integer",
  event_names: "json",
  requested_regions: "json",
  verdicts: "json",
  source_ips: "string[]",
  first_seen: "timestamp",
  last_seen: "timestamp",
  event_ids: "string[]",
  event_ids_omitted: "integer",
};

/** The columns of {@link OutsidePrincipalSummary}, in display order. */
export const OUTSIDE_PRINCIPAL_COLUMNS = Object.keys(
  OUTSIDE_PRINCIPAL_TYPES,
) as (keyof OutsidePrincipalSummary)[];

type RawCall = Omit<OutsideCallRow, "verdict" | "undetermined_keys" | "explanation"> &
  LoggedStsCall;

/** The lock the options describe: a policy (with or without regions) or regions alone. */
export function regionLockOf(options: StsOutsideOptions): RegionLock {
  if (options.policy !== undefined) {
    return regionLockFromPolicy(options.policy, {
      ...(options.allowedRegions ? { allowedRegions: options.allowedRegions } : {}),
      ...(options.policyFile ? { file: options.policyFile } : {}),
    });
  }
  if (options.allowedRegions !== undefined) return regionLockFromRegions(options.allowedRegions);
  throw new QueryOptionsError(
    "value-invalid",
    "allowedRegions",
    undefined,
    "say which regions are allowed (allowedRegions) or give a region-lock policy",
  );
}

/** The SQL selecting STS calls whose requested region is outside the lock's regions. */
export function outsideCallsSql(
  lock: RegionLock,
  filters: QueryFilters,
): { sql: string; params: SqlParams } {
  const where = filtersToSql(normalizeFilters(filters), {
    regionColumns: ["aws_region", "sts_serving_region"],
  });
  // Allowed regions as LIKE patterns: a StringNotLike list may hold `*` and `?`; region names
  // hold neither `%` nor `_` (checked when the lock was built). Plain names take the cheaper test.
  const wildcards = lock.allowedRegions.some((r) => /[*?]/.test(r));
  const patterns = lock.allowedRegions.map((r) => r.replaceAll("*", "%").replaceAll("?", "_"));
  const outside = wildcards
    ? "len(list_filter($allowed_patterns, p -> requested_region LIKE p)) = 0"
    : "NOT list_contains($allowed_patterns, requested_region)";
  // What only the selected calls need (the role ARN inside requestParameters) is extracted after
  // the selection, not for every STS call.
  const sql = `WITH sts AS (
  SELECT event_id, event_time, event_name, actor, principal_arn,
    identity_type, account_id,
    recipient_account_id, source_ip, user_agent, tls_host, error_code, shared_event_id,
    principal_id, session_issuer_arn, user_name, vpc_endpoint_id, mfa_authenticated,
    request_parameters,
    ${STS_COLUMNS_SQL}
  FROM events
  WHERE event_source = '${STS_SOURCE}' AND ${where.sql}
)
SELECT * EXCLUDE (request_parameters), request_parameters->>'$.roleArn' AS role_arn
FROM sts
WHERE ${outside}
ORDER BY event_time, event_id`;
  return { sql, params: { ...where.params, allowed_patterns: listValue(patterns) } };
}

/** A service-linked role: SCPs do not apply to it. */
const SERVICE_LINKED = /:role\/aws-service-role\//;

const FEDERATED_TYPES = new Set(["SAMLUser", "WebIdentityUser"]);
const FEDERATED_CALLS = new Set(["AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"]);

type Verdict = Pick<OutsideCallRow, "verdict" | "undetermined_keys" | "explanation">;

/** The verdict on a call the policy would deny, by what happened to it. */
const DENIED_VERDICT: Record<CallOutcome, OutsideVerdict> = {
  succeeded: "succeeded-would-be-denied",
  denied: "denied-as-policy-would",
  failed: "failed-would-be-denied",
};

/** What decides a call's verdict besides the policy: the organization and the trails' accounts. */
interface Governors {
  organization: Organization | undefined;
  trailAccounts: ReadonlySet<string>;
  /** The lock's decisions, each distinct request evaluated once. */
  decisions: DecisionCache;
}

function verdictOf(lock: RegionLock, call: RawCall, gov: Governors): Verdict {
  // Whose SCP: a cross-account caller's account is what matters, not the trail's.
  const g = governance(call.account_id, gov.organization, gov.trailAccounts);
  const known: Record<string, string> = {};
  if (g.governed === true && gov.organization?.id)
    known["aws:PrincipalOrgID"] = gov.organization.id;
  // The engine is asked first: it is what knows that some calls no policy can deny.
  const { verdict, decision } = evaluateCall(lock, call, known, gov.decisions);
  if (verdict === "not-deniable") {
    return {
      verdict: "not-deniable",
      undetermined_keys: [],
      explanation: `sts:${call.event_name} cannot be denied by any policy; ${decision.explanation}`,
    };
  }
  const slr = [call.session_issuer_arn, call.principal_arn].some(
    (a) => a && SERVICE_LINKED.test(a),
  );
  if (call.identity_type === "AWSService" || slr) {
    return {
      verdict: "aws-service-not-governed",
      undetermined_keys: [],
      explanation:
        call.identity_type === "AWSService"
          ? `made by the AWS service ${call.actor ?? ""}: service control policies do not govern AWS service principals`
          : "made by a service-linked role: service control policies do not apply to service-linked roles",
    };
  }
  if (
    (call.identity_type && FEDERATED_TYPES.has(call.identity_type)) ||
    (call.event_name && FEDERATED_CALLS.has(call.event_name))
  ) {
    return {
      verdict: "federated-not-governed",
      undetermined_keys: [],
      explanation:
        `sts:${call.event_name} is made with a federated assertion or token, not with the ` +
        "credentials of a principal in the organization: service control policies do not govern " +
        "it; the role's trust policy (or a resource control policy) is what can restrict it",
    };
  }
  if (g.governed === false) {
    return {
      verdict: "account-not-governed",
      undetermined_keys: [],
      explanation:
        g.reason === "management-account"
          ? `the caller is in ${g.account}, the organization's management account: service control policies never apply to it`
          : `the caller's account ${g.account} is not in the organization: the organization's service control policies do not govern that account's principals`,
    };
  }
  if (g.governed === "unknown" && verdict !== "not-denied") {
    const keys = verdict === "undetermined" ? decision.unknownKeys : [];
    return {
      verdict: "undetermined",
      undetermined_keys: [...new Set(["aws:PrincipalOrgID", ...keys])],
      explanation:
        (g.account
          ? `the caller's account ${g.account} has no trail in the case and no organization was given: `
          : "the record does not name the caller's account: ") +
        "whether the policy governs it depends on its organization (aws:PrincipalOrgID), which " +
        `the log does not tell. If it does: ${decision.explanation}`,
    };
  }
  switch (verdict) {
    case "undetermined":
      return {
        verdict: "undetermined",
        undetermined_keys: decision.unknownKeys,
        explanation: decision.explanation,
      };
    case "not-denied":
      return {
        verdict: "allowed-by-policy",
        undetermined_keys: [],
        explanation: whyNotDenied(decision),
      };
    case "deny": {
      const v = DENIED_VERDICT[outcomeOf(call.error_code)];
      return { verdict: v, undetermined_keys: [], explanation: decision.explanation };
    }
  }
}

/**
 * Why no Deny statement applies, from the engine's trace. (The engine's own explanation speaks of
 * allowing, which an SCP never does: here the question is only whether it denies.)
 */
function whyNotDenied(decision: Decision): string {
  const denies = decision.statements.filter((t) => t.effect === "Deny");
  if (denies.length === 0) return "the policy has no Deny statement";
  const reasons = denies.map((t) => {
    const name = t.sid ? `"${t.sid}"` : `#${t.index}`;
    const part = [t.action, t.principal, t.resource].find((p) => p.matched === false);
    if (part) return `statement ${name}: ${part.why}`;
    const c = t.conditions.find((x) => x.result === false);
    if (!c) return `statement ${name} does not apply`;
    const request = Array.isArray(c.context) ? JSON.stringify(c.context) : c.context;
    return `statement ${name}: ${c.operator} ${c.key} ${JSON.stringify(c.values)} is false (request: ${request})`;
  });
  return `No Deny statement applies: ${reasons.join("; ")}.`;
}

function bump(record: Record<string, number>, key: string | null): void {
  const k = key ?? "(none)";
  record[k] = (record[k] ?? 0) + 1;
}

/** One summary per principal, most calls first. */
export function summarizeByPrincipal(
  rows: OutsideCallRow[],
  eventIdLimit = 20,
): OutsidePrincipalSummary[] {
  const byActor = new Map<string, OutsidePrincipalSummary>();
  for (const r of rows) {
    const actor = r.actor ?? r.principal_arn ?? "(unknown)";
    let s = byActor.get(actor);
    if (!s) {
      s = {
        actor,
        identity_types: [],
        accounts: [],
        calls: 0,
        succeeded: 0,
        failed: 0,
        event_names: {},
        requested_regions: {},
        verdicts: {},
        source_ips: [],
        first_seen: r.event_time,
        last_seen: r.event_time,
        event_ids: [],
        event_ids_omitted: 0,
      };
      byActor.set(actor, s);
    }
    s.calls++;
    if (r.error_code === null) s.succeeded++;
    else s.failed++;
    if (r.identity_type && !s.identity_types.includes(r.identity_type)) {
      s.identity_types.push(r.identity_type);
    }
    const account = r.account_id ?? r.recipient_account_id;
    if (account && !s.accounts.includes(account)) s.accounts.push(account);
    bump(s.event_names, r.event_name);
    bump(s.requested_regions, r.requested_region);
    s.verdicts[r.verdict] = (s.verdicts[r.verdict] ?? 0) + 1;
    if (r.source_ip && !s.source_ips.includes(r.source_ip)) s.source_ips.push(r.source_ip);
    if (r.event_time < s.first_seen) s.first_seen = r.event_time;
    if (r.event_time > s.last_seen) s.last_seen = r.event_time;
    if (r.event_id) {
      if (s.event_ids.length < eventIdLimit) s.event_ids.push(r.event_id);
      else s.event_ids_omitted++;
    }
  }
  return [...byActor.values()].sort((a, b) => b.calls - a.calls || a.actor.localeCompare(b.actor));
}

/** The columns of {@link OutsideCallRow}, in display order. */
export const OUTSIDE_COLUMNS: (keyof OutsideCallRow)[] = [
  "event_time",
  "event_id",
  "event_name",
  "verdict",
  "actor",
  "principal_arn",
  "identity_type",
  "account_id",
  "recipient_account_id",
  "source_ip",
  "user_agent",
  "logged_region",
  "serving_region",
  "requested_region",
  "endpoint_type",
  "tls_host",
  "error_code",
  "undetermined_keys",
  "explanation",
  "shared_event_id",
];

/**
 * Every STS call whose requested region is outside the allowed regions, with its verdict, and a
 * summary per principal. Give `allowedRegions`, a `policy`, or both.
 */
export async function stsOutsideRegions(
  c: Case,
  options: StsOutsideOptions,
): Promise<StsOutsideResult> {
  const lock = regionLockOf(options);
  const organization =
    options.organization === undefined
      ? undefined
      : parseOrganization(options.organization, options.organizationFile);
  const { sql, params } = outsideCallsSql(lock, options);
  const result = await c.sql<RawCall>(sql, params);
  let trailAccounts = new Set<string>();
  const assumptions: string[] = [];
  if (!organization) {
    const accounts = await c.sql<{ account: string }>(
      `SELECT DISTINCT recipient_account_id AS account FROM events
       WHERE recipient_account_id IS NOT NULL ORDER BY 1`,
    );
    trailAccounts = new Set(accounts.rows.map((r) => r.account));
    assumptions.push(
      `No organization was given: the accounts whose trails are in the case ` +
        `(${[...trailAccounts].join(", ") || "none"}) are taken as governed by the policy, and ` +
        "callers from other accounts are undetermined. The organization's management account, " +
        "which no SCP governs, is not known: give the organization (list-accounts output) to " +
        "decide both.",
    );
  }
  const byVerdict = Object.fromEntries(OUTSIDE_VERDICTS.map((v) => [v, 0])) as Record<
    OutsideVerdict,
    number
  >;
  const gov: Governors = {
    organization,
    trailAccounts,
    decisions: new DecisionCache({ kind: "scp" }),
  };
  const rows: OutsideCallRow[] = result.rows.map((raw) => {
    const v = verdictOf(lock, raw, gov);
    byVerdict[v.verdict]++;
    const row = {} as Record<string, unknown>;
    for (const col of OUTSIDE_COLUMNS) {
      row[col] =
        col in v ? v[col as keyof Verdict] : (raw as unknown as Record<string, unknown>)[col];
    }
    return row as unknown as OutsideCallRow;
  });
  return {
    rows,
    columns: [...OUTSIDE_COLUMNS],
    types: { ...result.types, ...OUTSIDE_TYPES },
    sql: result.sql,
    params: result.params,
    allowedRegions: lock.allowedRegions,
    regionsFrom: lock.regionsFrom,
    policy: lock.document,
    byVerdict,
    principals: summarizeByPrincipal(rows, options.eventIdLimit ?? 20),
    organization: organization ?? null,
    assumptions,
  };
}
