/**
 * The role-assumption graph: who assumed which role, how often, and what the trust check said,
 * as plain nodes and edges a chart (a node-link diagram, a matrix, a Sankey) can draw directly.
 *
 * A role session's caller is the role behind it, so role-to-role edges are the chaining steps.
 */
import type { CallerKind } from "./request.js";
import type { AssumeEventName } from "./assumptions.js";
import { arnName, assumedRoleOf, type TrustCheckRow } from "./trust.js";

export type GraphNodeKind = CallerKind | "role";

/** A caller or a role. A role that also assumes roles (through its sessions) is one node. */
export interface AssumptionNode {
  /** A caller key (see `callerOf`) or a role ARN. */
  id: string;
  kind: GraphNodeKind;
  /** A short name for a label: the last part of an ARN, other keys as `arnName` gives them. */
  label: string;
  account: string | null;
  /** For roles: whether an IAM snapshot of the case holds it. */
  in_snapshot: boolean | null;
}

/** What a set of assumptions did, and what the trust check said of them. */
export interface AssumptionCounts {
  calls: number;
  succeeded: number;
  /** Calls refused for access, and failed for another reason. */
  denied: number;
  failed: number;
  /** The trust check's decisions: allowed by the trust policy, not allowed, undetermined, not checked. */
  trust_allowed: number;
  trust_not_allowed: number;
  undetermined: number;
  not_in_snapshot: number;
}

/** The keys of {@link AssumptionCounts}, in display order (counts add up across edges). */
export const ASSUMPTION_COUNT_KEYS: (keyof AssumptionCounts)[] = [
  "calls",
  "succeeded",
  "denied",
  "failed",
  "trust_allowed",
  "trust_not_allowed",
  "undetermined",
  "not_in_snapshot",
];

/** Counts of no assumption, to add to. */
export function noAssumptions(): AssumptionCounts {
  return {
    calls: 0,
    succeeded: 0,
    denied: 0,
    failed: 0,
    trust_allowed: 0,
    trust_not_allowed: 0,
    undetermined: 0,
    not_in_snapshot: 0,
  };
}

/** All assumptions of one caller on one role through one STS call. */
export interface AssumptionEdge extends AssumptionCounts {
  source: string;
  target: string;
  source_kind: GraphNodeKind;
  source_account: string | null;
  target_account: string | null;
  event_name: AssumeEventName;
  cross_account: boolean | null;
  first_seen: string;
  last_seen: string;
}

export interface AssumptionGraph {
  nodes: AssumptionNode[];
  edges: AssumptionEdge[];
}

/**
 * Builds the graph from decided assumptions; nodes and edges in a stable order. `inSnapshot`
 * says whether a role (by ARN) is in an IAM snapshot, for roles seen only as callers.
 */
export function assumptionGraphOf(
  rows: readonly TrustCheckRow[],
  inSnapshot: (roleArn: string) => boolean = () => false,
): AssumptionGraph {
  const nodes = new Map<string, AssumptionNode>();
  const edges = new Map<string, AssumptionEdge>();
  const node = (n: AssumptionNode) => {
    const have = nodes.get(n.id);
    if (!have) nodes.set(n.id, n);
    // A caller key that is a role ARN (a session's role) is the same node as the role.
    else if (n.kind === "role") {
      have.kind = "role";
      have.in_snapshot = (have.in_snapshot ?? false) || (n.in_snapshot ?? false);
    }
  };
  for (const r of rows) {
    const target = assumedRoleOf(r);
    node({
      id: r.caller,
      kind: r.caller_kind === "role-session" ? "role" : r.caller_kind,
      label: arnName(r.caller),
      account: r.caller_account,
      in_snapshot: r.caller_kind === "role-session" ? false : null,
    });
    node({
      id: target,
      kind: "role",
      label: arnName(target),
      account: r.role_account,
      in_snapshot: r.snapshot_role_arn !== null,
    });
    const key = `${r.caller}\u0000${target}\u0000${r.event_name}`;
    let e = edges.get(key);
    if (!e) {
      e = {
        source: r.caller,
        target,
        source_kind: r.caller_kind === "role-session" ? "role" : r.caller_kind,
        source_account: r.caller_account,
        target_account: r.role_account,
        event_name: r.event_name,
        cross_account: r.cross_account,
        ...noAssumptions(),
        first_seen: r.event_time,
        last_seen: r.event_time,
      };
      edges.set(key, e);
    }
    e.calls++;
    if (r.outcome === "succeeded") e.succeeded++;
    else if (r.outcome === "denied") e.denied++;
    else e.failed++;
    if (r.decision === "allow") e.trust_allowed++;
    else if (r.decision === "deny" || r.decision === "implicit-deny") e.trust_not_allowed++;
    else if (r.decision === "undetermined") e.undetermined++;
    else e.not_in_snapshot++;
    if (r.event_time < e.first_seen) e.first_seen = r.event_time;
    if (r.event_time > e.last_seen) e.last_seen = r.event_time;
  }
  for (const n of nodes.values()) {
    if (n.kind === "role" && !n.in_snapshot) n.in_snapshot = inSnapshot(n.id);
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges: [...edges.values()].sort(
      (a, b) =>
        b.calls - a.calls || a.source.localeCompare(b.source) || a.target.localeCompare(b.target),
    ),
  };
}

/** The columns of {@link AssumptionEdge}, in display order. */
export const ASSUMPTION_EDGE_COLUMNS: (keyof AssumptionEdge)[] = [
  "source",
  "target",
  "event_name",
  ...ASSUMPTION_COUNT_KEYS,
  "cross_account",
  "source_kind",
  "source_account",
  "target_account",
  "first_seen",
  "last_seen",
];
