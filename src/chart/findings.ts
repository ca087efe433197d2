/**
 * Charts of what the questions found: baseline findings on a timeline, and the verdicts on STS
 * calls outside the allowed regions, per principal.
 */
import { FINDING_KINDS, type BaselineResult } from "../baseline/index.js";
import {
  OUTSIDE_VERDICTS,
  type OutsideCallRow,
  type OutsideVerdict,
} from "../query/sts-outside.js";
import { foldTop, sumBy } from "./fold.js";
import {
  asSpec,
  emptyChart,
  BASE_CONFIG,
  COLORS,
  plural,
  shortLabels,
  utcText,
  VEGA_LITE_SCHEMA,
  type Chart,
} from "./spec.js";

export interface BaselineTimelineOptions {
  /** Actors shown, highest-scoring first; the rest are counted in the subtitle. Default 25. */
  topActors?: number;
}

/**
 * Each finding as a line from its first to its last event (a dot at the start, sized by score),
 * one row per actor and one lane per kind, across the detection window.
 */
export function baselineTimelineChart(
  result: Pick<BaselineResult, "findings" | "windows">,
  options: BaselineTimelineOptions = {},
): Chart {
  const limit = options.topActors ?? 25;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`topActors must be a whole number >= 1, got ${limit}`);
  }
  if (result.findings.length === 0) {
    return emptyChart(
      "baseline-findings",
      "Baseline findings over the detection window",
      "No baseline findings in the detection window.",
    );
  }
  const best = new Map<string, number>();
  for (const f of result.findings) best.set(f.actor, Math.max(best.get(f.actor) ?? 0, f.score));
  const actors = [...best.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([a]) => a);
  const shown = actors.slice(0, limit);
  const hidden = actors.length - shown.length;
  const shownSet = new Set(shown);
  const short = shortLabels(shown);
  const labelOf = (actor: string) => short.get(actor) ?? actor;
  const rowOrder = shown.map(labelOf);
  const values = result.findings
    .filter((f) => shownSet.has(f.actor))
    .map((f) => ({
      actor: labelOf(f.actor),
      kind: f.kind,
      title: f.title,
      score: f.score,
      first_seen: f.firstSeen,
      last_seen: f.lastSeen,
      events: f.eventCount,
      id: f.id,
    }))
    .sort(
      (a, b) =>
        rowOrder.indexOf(a.actor) - rowOrder.indexOf(b.actor) ||
        (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : 0) ||
        (a.id < b.id ? -1 : 1),
    );
  const kinds = FINDING_KINDS.filter((k) => values.some((v) => v.kind === k));
  const from = Date.parse(result.windows.detection.from);
  const to = Date.parse(result.windows.detection.to);
  const title = "Baseline findings over the detection window";
  const subtitle = [
    `${plural(result.findings.length, "finding")} for ${plural(actors.length, "principal")}; ` +
      `detection window ${utcText(result.windows.detection.from)} to ${utcText(result.windows.detection.to)}, ` +
      `against a ${result.windows.baseline.days}-day baseline`,
    "a line runs from a finding's first to its last event; bigger dots score higher",
    ...(hidden > 0
      ? [`${plural(hidden, "more principal")} with lower-scoring findings not shown`]
      : []),
  ];
  const time = {
    type: "temporal" as const,
    scale: { type: "utc" as const, domainMin: from, domainMax: to },
    title: "time (UTC)",
    axis: { format: "%m-%d %H:%M", labelAngle: -30 },
  };
  const spec = asSpec({
    $schema: VEGA_LITE_SCHEMA,
    title: { text: title, subtitle },
    description: "Baseline findings per principal over time",
    width: 820,
    // One lane per kind inside each principal's row, so findings at the same time stay apart.
    height: rowOrder.length * (kinds.length * 9 + 12),
    data: { values },
    encoding: {
      x: { field: "first_seen", ...time },
      y: {
        field: "actor",
        type: "nominal",
        sort: rowOrder,
        scale: { domain: rowOrder },
        title: "principal",
      },
      yOffset: { field: "kind", type: "nominal", sort: kinds, scale: { domain: kinds } },
      color: {
        field: "kind",
        type: "nominal",
        scale: { domain: kinds, scheme: "tableau10" },
        title: "finding",
      },
    },
    layer: [
      {
        mark: { type: "rule", strokeWidth: 3 },
        encoding: { x2: { field: "last_seen" } },
      },
      {
        mark: { type: "point", filled: true, opacity: 0.9 },
        encoding: {
          size: {
            field: "score",
            type: "quantitative",
            scale: { range: [30, 300] },
            title: "score",
          },
          tooltip: [
            { field: "title", title: "finding" },
            { field: "score", type: "quantitative", title: "score" },
            { field: "first_seen", title: "first (UTC)" },
            { field: "last_seen", title: "last (UTC)" },
            { field: "events", type: "quantitative", title: "events" },
            { field: "id", title: "id" },
          ],
        },
      },
    ],
    config: BASE_CONFIG,
  });
  return {
    id: "baseline-findings",
    title,
    description:
      "Rows are principals, highest-scoring first; each line is one finding, coloured by kind, " +
      "from its first to its last event, inside the shaded detection window.",
    spec,
    notes:
      hidden > 0
        ? [`${plural(hidden, "principal")} not shown: ${actors.slice(limit).join(", ")}`]
        : [],
  };
}

/** How each verdict is drawn: red for what got through, grey for what no SCP can govern. */
export const VERDICT_COLORS: Record<OutsideVerdict, string> = {
  "succeeded-would-be-denied": COLORS.outside,
  "denied-as-policy-would": "#f58518",
  "failed-would-be-denied": "#eeca3b",
  "not-deniable": "#b279a2",
  "aws-service-not-governed": COLORS.neutral,
  "federated-not-governed": "#bab0ac",
  "account-not-governed": "#d8b5a5",
  undetermined: "#72b7b2",
  "allowed-by-policy": COLORS.allowed,
};

export interface OutsideVerdictChartOptions {
  /** Principals shown; the rest are one `other` row. Default 20. */
  topPrincipals?: number;
  allowedRegions?: string[];
}

/** STS calls outside the allowed regions per principal, stacked by verdict. */
export function outsideVerdictChart(
  rows: Pick<OutsideCallRow, "actor" | "principal_arn" | "verdict" | "requested_region">[],
  options: OutsideVerdictChartOptions = {},
): Chart {
  if (rows.length === 0) {
    return emptyChart(
      "sts-outside-verdicts",
      "STS calls outside the allowed regions, by verdict",
      "No STS call outside the allowed regions.",
    );
  }
  const who = (r: (typeof rows)[number]) => r.actor ?? r.principal_arn ?? "(unknown)";
  // Principals whose calls a region lock governs come first: AWS services calling everywhere
  // (AWS Config, daily, in every region) would otherwise push the few calls that matter down.
  // Each governed call weighs 1, each other call less than 1/N: governed calls decide the order,
  // the others only break ties.
  const concern = (v: OutsideVerdict) =>
    v.endsWith("-not-governed") || v === "allowed-by-policy" ? 1 / (rows.length + 1) : 1;
  const fold = foldTop(
    sumBy(rows, who, (r) => concern(r.verdict)),
    options.topPrincipals ?? 20,
    "principal",
  );
  const cells = new Map<
    string,
    { principal: string; verdict: OutsideVerdict; calls: number; regions: Set<string> }
  >();
  for (const r of rows) {
    const principal = fold.labelOf(who(r));
    const key = `${principal}\u0000${r.verdict}`;
    const cell = cells.get(key) ?? {
      principal,
      verdict: r.verdict,
      calls: 0,
      regions: new Set<string>(),
    };
    cell.calls++;
    cell.regions.add(r.requested_region);
    cells.set(key, cell);
  }
  const labels = shortLabels(fold.kept);
  const rowOrder = [
    ...fold.kept.map((p) => labels.get(p)!),
    ...(fold.otherLabel ? [fold.otherLabel] : []),
  ];
  const verdicts = OUTSIDE_VERDICTS.filter((v) => rows.some((r) => r.verdict === v));
  const values = [...cells.values()]
    .map((c) => ({
      principal: labels.get(c.principal) ?? c.principal,
      verdict: c.verdict,
      calls: c.calls,
      regions: [...c.regions].sort().join(", "),
      stack: verdicts.indexOf(c.verdict),
    }))
    .sort(
      (a, b) => rowOrder.indexOf(a.principal) - rowOrder.indexOf(b.principal) || a.stack - b.stack,
    );
  const title = "STS calls outside the allowed regions, by verdict";
  const subtitle = [
    `${plural(rows.length, "call")} by ${plural(fold.kept.length + fold.folded.length, "principal")}` +
      (options.allowedRegions ? `; allowed regions: ${options.allowedRegions.join(", ")}` : ""),
    "red: it worked and the region lock would have denied it",
  ];
  const spec = asSpec({
    $schema: VEGA_LITE_SCHEMA,
    title: { text: title, subtitle },
    description: "Calls outside the allowed regions per principal and verdict",
    data: { values },
    width: 560,
    height: { step: 22 },
    mark: { type: "bar" },
    encoding: {
      y: {
        field: "principal",
        type: "nominal",
        sort: rowOrder,
        scale: { domain: rowOrder },
        title: "principal",
      },
      x: { field: "calls", type: "quantitative", aggregate: "sum", title: "calls", stack: "zero" },
      color: {
        field: "verdict",
        type: "nominal",
        sort: verdicts,
        scale: { domain: verdicts, range: verdicts.map((v) => VERDICT_COLORS[v]) },
        title: "verdict",
        legend: { orient: "bottom", columns: 2 },
      },
      order: { field: "stack", type: "quantitative", sort: "ascending" },
      tooltip: [
        { field: "principal", title: "principal" },
        { field: "verdict", title: "verdict" },
        { field: "calls", type: "quantitative", title: "calls" },
        { field: "regions", title: "requested regions" },
      ],
    },
    config: BASE_CONFIG,
  });
  return {
    id: "sts-outside-verdicts",
    title,
    description:
      "Bars count each principal's STS calls outside the allowed regions, split by what the region lock would have done.",
    spec,
    notes: fold.otherLabel ? [`${fold.otherLabel}: ${fold.folded.join(", ")}`] : [],
  };
}
