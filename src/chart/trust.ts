/**
 * The role-assumption matrix: callers (rows) against the roles they assumed (columns), each cell
 * the calls of one caller on one role, coloured by what the trust check said. A matrix rather
 * than a node-link drawing: with hundreds of callers and roles it stays readable, sorted and
 * labelled, and every cell can be read exactly.
 */
import {
  ASSUMPTION_COUNT_KEYS,
  noAssumptions,
  type AssumptionCounts,
  type AssumptionGraph,
} from "../iam/graph.js";
import { foldTop, sumBy } from "./fold.js";
import {
  asSpec,
  BASE_CONFIG,
  COLORS,
  emptyChart,
  plural,
  shortLabels,
  VEGA_LITE_SCHEMA,
  type Chart,
} from "./spec.js";

/**
 * What a cell shows, worst first: one call of a kind is enough to give the cell its status.
 * - succeeded, trust policy does not allow it: the snapshot's policy would refuse what worked;
 * - refused, as the trust policy would: attempts the policy refuses (probing when many roles);
 * - undetermined: the decision rests on condition keys the log cannot tell;
 * - not checked (no snapshot of the role);
 * - allowed by trust, denied elsewhere: an SCP, an identity policy... refused it;
 * - allowed by the trust policy.
 */
export const ASSUMPTION_STATUSES = [
  "succeeded, trust policy does not allow",
  "refused, as the trust policy would",
  "undetermined",
  "not checked: role not in a snapshot",
  "allowed by trust, denied elsewhere",
  "allowed by the trust policy",
] as const;
export type AssumptionStatus = (typeof ASSUMPTION_STATUSES)[number];

const STATUS_COLORS: Record<AssumptionStatus, string> = {
  "succeeded, trust policy does not allow": COLORS.outside,
  "refused, as the trust policy would": "#f58518",
  undetermined: "#72b7b2",
  "allowed by trust, denied elsewhere": "#eeca3b",
  "not checked: role not in a snapshot": COLORS.neutral,
  "allowed by the trust policy": COLORS.allowed,
};

/** The status of the calls of one caller on one role (summed edges). */
export function assumptionStatus(e: Omit<AssumptionCounts, "calls">): AssumptionStatus {
  if (e.trust_not_allowed > 0 && e.succeeded > 0) return "succeeded, trust policy does not allow";
  if (e.trust_not_allowed > 0) return "refused, as the trust policy would";
  if (e.undetermined > 0) return "undetermined";
  if (e.not_in_snapshot > 0) return "not checked: role not in a snapshot";
  if (e.denied > 0) return "allowed by trust, denied elsewhere";
  return "allowed by the trust policy";
}

/**
 * Role labels: the role's name and account (`deploy (444455556666)`), without its path, which
 * for service-linked roles is longer than the name; the short form of the ARN when two roles
 * would read the same.
 */
function roleNames(arns: string[]): Map<string, string> {
  const short = shortLabels(arns);
  const names = new Map<string, string>();
  for (const arn of arns) {
    const m = /^arn:[^:]+:iam::(\d*):role\/(?:.*\/)?([^/]+)$/.exec(arn);
    names.set(arn, m ? `${m[2]}${m[1] ? ` (${m[1]})` : ""}` : short.get(arn)!);
  }
  const count = new Map<string, number>();
  for (const n of names.values()) count.set(n, (count.get(n) ?? 0) + 1);
  for (const [arn, n] of names) if ((count.get(n) ?? 0) > 1) names.set(arn, short.get(arn)!);
  return names;
}

export interface RoleAssumptionChartOptions {
  /** Callers shown; the rest are one `other` row. Default 30. */
  topCallers?: number;
  /** Roles shown; the rest are one `other` column. Default 30. */
  topRoles?: number;
  subtitle?: string;
}

/** Calls that need a look weigh more than routine ones when picking the rows and columns shown. */
function concern(e: AssumptionCounts, total: number): number {
  const notable = e.trust_not_allowed + e.undetermined + e.denied + e.failed;
  return notable + e.calls / (total + 1);
}

/**
 * Callers against roles from the trust check's assumption graph (`trustCheck(...).graph` or
 * `assumptionGraph(...)`), coloured by the trust check's decisions.
 */
export function roleAssumptionChart(
  graph: Pick<AssumptionGraph, "edges">,
  options: RoleAssumptionChartOptions = {},
): Chart {
  const title = "Role assumptions: who assumed which role, and what the trust policy says";
  if (graph.edges.length === 0) {
    return emptyChart("role-assumptions", title, "No role assumption in the range asked.");
  }
  const total = graph.edges.reduce((n, e) => n + e.calls, 0);
  const callers = foldTop(
    sumBy(
      graph.edges,
      (e) => e.source,
      (e) => concern(e, total),
    ),
    options.topCallers ?? 30,
    "caller",
  );
  const roles = foldTop(
    sumBy(
      graph.edges,
      (e) => e.target,
      (e) => concern(e, total),
    ),
    options.topRoles ?? 30,
    "role",
  );
  const callerLabels = shortLabels(callers.kept);
  const roleLabels = roleNames(roles.kept);
  // Cells: one per shown caller and role, the STS calls (AssumeRole, ...WithSAML...) summed.
  const cells = new Map<
    string,
    AssumptionCounts & { caller: string; role: string; events: Set<string> }
  >();
  for (const e of graph.edges) {
    const caller = callers.labelOf(e.source);
    const role = roles.labelOf(e.target);
    const key = `${caller}\u0000${role}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = {
        caller,
        role,
        events: new Set(),
        ...noAssumptions(),
      };
      cells.set(key, cell);
    }
    for (const k of ASSUMPTION_COUNT_KEYS) cell[k] += e[k];
    cell.events.add(e.event_name);
  }
  const rowOrder = [
    ...callers.kept.map((c) => callerLabels.get(c)!),
    ...(callers.otherLabel ? [callers.otherLabel] : []),
  ];
  const columnOrder = [
    ...roles.kept.map((r) => roleLabels.get(r)!),
    ...(roles.otherLabel ? [roles.otherLabel] : []),
  ];
  const byStatus = new Map<AssumptionStatus, number>();
  const values = [...cells.values()]
    .map(({ events, ...cell }) => {
      const status = assumptionStatus(cell);
      byStatus.set(status, (byStatus.get(status) ?? 0) + cell.calls);
      return {
        ...cell,
        caller: callerLabels.get(cell.caller) ?? cell.caller,
        role: roleLabels.get(cell.role) ?? cell.role,
        status,
        events: [...events].sort().join(", "),
        // "3" when all succeeded, "0/3" when some did not: refusals read at a glance.
        text:
          cell.succeeded === cell.calls ? String(cell.calls) : `${cell.succeeded}/${cell.calls}`,
      };
    })
    .sort(
      (a, b) =>
        rowOrder.indexOf(a.caller) - rowOrder.indexOf(b.caller) ||
        columnOrder.indexOf(a.role) - columnOrder.indexOf(b.role),
    );
  const statuses = ASSUMPTION_STATUSES.filter((s) => byStatus.has(s));
  const callerCount = callers.kept.length + callers.folded.length;
  const roleCount = roles.kept.length + roles.folded.length;
  const subtitle = [
    `${plural(total, "assumption")} by ${plural(callerCount, "caller")} of ${plural(roleCount, "role")}; ` +
      "a cell reads calls, or succeeded/calls when some did not succeed",
    "callers and roles with refused, undetermined or not-allowed calls come first",
    ...(callers.otherLabel ? [`${callers.otherLabel} summed in the last row`] : []),
    ...(roles.otherLabel ? [`${roles.otherLabel} summed in the last column`] : []),
    ...(options.subtitle ? [options.subtitle] : []),
  ];
  const spec = asSpec({
    $schema: VEGA_LITE_SCHEMA,
    title: { text: title, subtitle },
    description: "Role assumptions per caller and role, by trust-policy decision",
    data: { values },
    width: { step: 34 },
    height: { step: 20 },
    encoding: {
      x: {
        field: "role",
        type: "nominal",
        sort: columnOrder,
        scale: { domain: columnOrder },
        title: "role assumed",
        axis: { orient: "top", labelAngle: -45 },
      },
      y: {
        field: "caller",
        type: "nominal",
        sort: rowOrder,
        scale: { domain: rowOrder },
        title: "caller",
      },
    },
    layer: [
      {
        mark: { type: "rect", stroke: "#ffffff", strokeWidth: 1 },
        encoding: {
          color: {
            field: "status",
            type: "nominal",
            sort: statuses,
            scale: { domain: statuses, range: statuses.map((s) => STATUS_COLORS[s]) },
            title: "trust check",
            legend: { orient: "bottom", columns: 2 },
          },
          tooltip: [
            { field: "caller", title: "caller" },
            { field: "role", title: "role" },
            { field: "events", title: "STS calls" },
            { field: "calls", type: "quantitative", title: "calls" },
            { field: "succeeded", type: "quantitative", title: "succeeded" },
            { field: "denied", type: "quantitative", title: "denied" },
            { field: "trust_not_allowed", type: "quantitative", title: "not allowed by trust" },
            { field: "status", title: "trust check" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 9 },
        encoding: {
          text: { field: "text", type: "nominal" },
          color: {
            condition: {
              test: `indexof(${JSON.stringify(["allowed by trust, denied elsewhere", "not checked: role not in a snapshot"])}, datum.status) >= 0`,
              value: "#222222",
            },
            value: "#ffffff",
          },
        },
      },
    ],
    config: BASE_CONFIG,
  });
  return {
    id: "role-assumptions",
    title,
    description:
      "Rows are callers, columns the roles they assumed; each cell counts one caller's " +
      "assumptions of one role, coloured by the trust check (red: it succeeded although the " +
      "trust policy in the snapshot does not allow it).",
    spec,
    notes: [
      ...(callers.otherLabel ? [`${callers.otherLabel}: ${callers.folded.join(", ")}`] : []),
      ...(roles.otherLabel ? [`${roles.otherLabel}: ${roles.folded.join(", ")}`] : []),
    ],
  };
}
