/**
 * Role chains: an assumed-role session assuming another role, followed back to where the first
 * session came from.
 *
 * Hops are linked exactly, by credentials: a successful assumption returns the new session's
 * access key (`responseElements.credentials.accessKeyId`), and every call the session makes
 * carries it (`userIdentity.accessKeyId`). A session whose own assumption is not in the case
 * (created before the time range, or in a trail the case lacks) starts its chain at its role.
 *
 * Limitation: the role owner's copy of a cross-account call shows no access key, so a chain
 * through an account whose trail is not in the case cannot be followed past that account.
 */
import {
  arnName,
  assumedRoleOf,
  type CallOutcome,
  type TrustCheckRow,
  type TrustVerdict,
} from "./trust.js";
import type { CallerKind } from "./request.js";

/** Chains of one shape: same origin, same roles in the same order, same last outcome. */
export interface RoleChainRow {
  /** Who started the chain: the caller of the first assumption in the case. */
  origin: string;
  /** Its kind; `session-origin-not-in-case` when the chain starts with a session of `origin` (a
   * role) whose own assumption is not in the case. */
  origin_kind: CallerKind | "session-origin-not-in-case";
  /** The roles assumed, first to last (ARNs as in the snapshot when it holds them). */
  roles: string[];
  /** `origin > role > role`, with role names, for a table or a chart label. */
  path: string;
  /** Assumptions in one chain. */
  hops: number;
  /** Chains of this shape (one per last assumption). */
  chains: number;
  /** How the last assumption of these chains ended. */
  last_outcome: CallOutcome;
  /** The trust check's verdicts over every hop of these chains, with their counts. */
  verdicts: Partial<Record<TrustVerdict, number>>;
  /** Hops that cross an account boundary (in one chain). */
  cross_account_hops: number;
  first_seen: string;
  last_seen: string;
  /** Every record of every assumption in these chains. */
  event_ids: string[];
}

/** The columns of {@link RoleChainRow} that summarise a chain, for a table a person reads. */
export const ROLE_CHAIN_SUMMARY_COLUMNS: (keyof RoleChainRow)[] = [
  "path",
  "hops",
  "chains",
  "last_outcome",
  "cross_account_hops",
  "first_seen",
  "last_seen",
];

/** The columns of {@link RoleChainRow}, in display order. */
export const ROLE_CHAIN_COLUMNS: (keyof RoleChainRow)[] = [
  ...ROLE_CHAIN_SUMMARY_COLUMNS,
  "origin",
  "origin_kind",
  "roles",
  "verdicts",
  "event_ids",
];

/** Builds the chains from decided assumptions; grouped by shape, most frequent first. */
export function roleChains(rows: readonly TrustCheckRow[]): RoleChainRow[] {
  const byIssued = new Map<string, TrustCheckRow>();
  for (const r of rows) if (r.issued_access_key_id) byIssued.set(r.issued_access_key_id, r);
  const parentOf = (r: TrustCheckRow): TrustCheckRow | undefined => {
    if (r.caller_kind !== "role-session" || !r.caller_access_key_id) return undefined;
    const p = byIssued.get(r.caller_access_key_id);
    // A key is issued before it is used; anything else is not this session's assumption.
    return p && p !== r && p.event_time <= r.event_time ? p : undefined;
  };
  const hasChild = new Set<TrustCheckRow>();
  for (const r of rows) {
    const p = parentOf(r);
    if (p) hasChild.add(p);
  }
  const groups = new Map<string, RoleChainRow>();
  const idsOf = new Map<RoleChainRow, Set<string>>();
  for (const leaf of rows) {
    if (hasChild.has(leaf)) continue;
    const path: TrustCheckRow[] = [leaf];
    const seen = new Set<TrustCheckRow>([leaf]);
    for (let p = parentOf(leaf); p && !seen.has(p); p = parentOf(p)) {
      path.unshift(p);
      seen.add(p);
    }
    const first = path[0]!;
    const unseenOrigin = first.caller_kind === "role-session";
    if (path.length < 2 && !unseenOrigin) continue;
    const origin = first.caller;
    const roles = path.map(assumedRoleOf);
    const key = [origin, ...roles, leaf.outcome].join("\u0000");
    let g = groups.get(key);
    if (!g) {
      g = {
        origin,
        origin_kind: unseenOrigin ? "session-origin-not-in-case" : first.caller_kind,
        roles,
        path: [unseenOrigin ? arnName(origin) : origin, ...roles.map(arnName)].join(" > "),
        hops: path.length,
        chains: 0,
        last_outcome: leaf.outcome,
        verdicts: {},
        cross_account_hops: path.filter((r) => r.cross_account === true).length,
        first_seen: first.event_time,
        last_seen: leaf.event_time,
        event_ids: [],
      };
      groups.set(key, g);
      idsOf.set(g, new Set());
    }
    g.chains++;
    const ids = idsOf.get(g)!;
    for (const r of path) {
      g.verdicts[r.verdict] = (g.verdicts[r.verdict] ?? 0) + 1;
      if (r.event_time < g.first_seen) g.first_seen = r.event_time;
      if (r.event_time > g.last_seen) g.last_seen = r.event_time;
      for (const id of r.event_ids) if (!ids.has(id)) (ids.add(id), g.event_ids.push(id));
    }
  }
  return [...groups.values()].sort(
    (a, b) => b.chains - a.chains || b.hops - a.hops || a.path.localeCompare(b.path),
  );
}
