/**
 * The trust audit's public questions, for notebooks, reports and the CLI. Each takes an open
 * `Case` and the usual filters, and returns typed rows with the SQL that produced them.
 *
 * ```ts
 * const c = await openCase("case.duckdb");
 * const check = await trustCheck(c, { from: "2026-10-01" });
 * check.findings;      // what to act on, each with its event ids
 * check.rows;          // every assumption, decided, with the engine's explanation
 * check.graph.edges;   // caller -> role, counts and decisions, for a chart
 * ```
 */
import { kindsOfRows } from "../query/columns.js";
import type { Case, QueryResult } from "../query/case.js";
import type { AssumptionSelection } from "./assumptions.js";
import { ROLE_CHAIN_COLUMNS, roleChains, type RoleChainRow } from "./chains.js";
import { trustFindings, type FindingOptions, type TrustFinding } from "./findings.js";
import { ASSUMPTION_EDGE_COLUMNS, assumptionGraphOf, type AssumptionGraph } from "./graph.js";
import {
  TRUST_VERDICTS,
  decideAssumptions,
  trustContext,
  type NamedQuery,
  type TrustCheckRow,
  type TrustVerdict,
} from "./trust.js";
import { unusedRolesWith, type UnusedRoleRow } from "./unused.js";
import type { DecisionKind } from "./policy/index.js";

/** Options of the trust questions: the usual filters, target roles, and finding thresholds. */
export interface TrustCheckOptions extends AssumptionSelection, FindingOptions {}

/** The answer of {@link trustCheck}. `rows` are the decided assumptions. */
export interface TrustCheckResult extends QueryResult<TrustCheckRow> {
  /** Calls per verdict and per engine decision (every verdict and decision present, maybe 0). */
  byVerdict: Record<TrustVerdict, number>;
  byDecision: Record<DecisionKind | "no-snapshot", number>;
  findings: TrustFinding[];
  chains: RoleChainRow[];
  graph: AssumptionGraph;
  unusedRoles: UnusedRoleRow[];
  /** What the check could rely on. */
  snapshot: {
    roles: number;
    accounts: string[];
    organizationLoaded: boolean;
  };
  /** Every SQL statement run, named (`sql`/`params` above are the assumptions' selection). */
  queries: NamedQuery[];
}

const DECISIONS: (DecisionKind | "no-snapshot")[] = [
  "allow",
  "deny",
  "implicit-deny",
  "undetermined",
  "no-snapshot",
];

/**
 * Every role assumption in the range decided against the snapshot's trust policies, the
 * findings, the chains, the assumption graph and the unused roles.
 */
export async function trustCheck(
  c: Case,
  options: TrustCheckOptions = {},
): Promise<TrustCheckResult> {
  const decided = await decideAssumptions(c, options);
  const unused = await unusedRolesWith(c, decided.context, options);
  const chains = roleChains(decided.rows);
  const byVerdict = Object.fromEntries(TRUST_VERDICTS.map((v) => [v, 0])) as Record<
    TrustVerdict,
    number
  >;
  const byDecision = Object.fromEntries(DECISIONS.map((d) => [d, 0])) as Record<
    DecisionKind | "no-snapshot",
    number
  >;
  for (const r of decided.rows) {
    byVerdict[r.verdict]++;
    byDecision[r.decision]++;
  }
  const roles = decided.context.roles;
  return {
    rows: decided.rows,
    columns: decided.columns,
    types: decided.types,
    sql: decided.sql,
    params: decided.params,
    byVerdict,
    byDecision,
    findings: trustFindings(decided.rows, chains, unused.rows, options),
    chains,
    graph: assumptionGraphOf(decided.rows, (arn) => roles.has(arn)),
    unusedRoles: unused.rows,
    snapshot: {
      roles: roles.size,
      accounts: decided.context.snapshotAccounts,
      organizationLoaded: decided.context.accounts.organizationLoaded,
    },
    queries: [...decided.queries, { name: "unused-roles", sql: unused.sql, params: unused.params }],
  };
}

/** Role chains in the range, one row per chain shape. */
export async function trustChains(
  c: Case,
  options: AssumptionSelection = {},
): Promise<QueryResult<RoleChainRow> & { queries: NamedQuery[] }> {
  const decided = await decideAssumptions(c, options);
  const rows = roleChains(decided.rows);
  return {
    rows,
    columns: [...ROLE_CHAIN_COLUMNS],
    types: kindsOfRows(ROLE_CHAIN_COLUMNS, rows),
    sql: decided.sql,
    params: decided.params,
    queries: decided.queries,
  };
}

/** The role-assumption graph in the range: `rows` are its edges, `graph` nodes and edges. */
export async function assumptionGraph(
  c: Case,
  options: AssumptionSelection = {},
): Promise<
  QueryResult<AssumptionGraph["edges"][number]> & { graph: AssumptionGraph; queries: NamedQuery[] }
> {
  const decided = await decideAssumptions(c, options);
  const graph = assumptionGraphOf(decided.rows, (arn) => decided.context.roles.has(arn));
  return {
    rows: graph.edges,
    columns: [...ASSUMPTION_EDGE_COLUMNS],
    types: kindsOfRows(ASSUMPTION_EDGE_COLUMNS, graph.edges),
    sql: decided.sql,
    params: decided.params,
    graph,
    queries: decided.queries,
  };
}

/** Roles of the IAM snapshots with no successful assumption in the range. */
export async function unusedRoles(
  c: Case,
  options: AssumptionSelection = {},
): Promise<QueryResult<UnusedRoleRow>> {
  const { context } = await trustContext(c);
  return unusedRolesWith(c, context, options);
}
