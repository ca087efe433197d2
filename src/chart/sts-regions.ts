/**
 * STS calls by region, the logged region and the serving region side by side. Calls to the global
 * endpoint are logged in us-east-1 wherever they were served, so the two panels differ exactly by
 * that traffic; the global-endpoint part of each bar is drawn lighter to show it.
 */
import type { StsRegionRow } from "../query/sts-regions.js";
import { regionMatcher } from "./fold.js";
import {
  asSpec,
  emptyChart,
  BASE_CONFIG,
  COLORS,
  plural,
  VEGA_LITE_SCHEMA,
  type Chart,
} from "./spec.js";

export interface StsRegionChartOptions {
  /** Allowed regions (names or `*`/`?` patterns): the others are drawn red. */
  allowedRegions?: string[];
  /** A subtitle line, e.g. the time range. */
  subtitle?: string;
}

const PANELS = {
  logged: "logged region (awsRegion)",
  serving: "serving region (awsServingRegion)",
} as const;

const STATUS = {
  allowed: "allowed region",
  outside: "outside the allowed regions",
  unknown: "region",
} as const;

interface Bar {
  panel: string;
  region: string;
  label: string;
  status: string;
  endpoint: string;
  calls: number;
  errors: number;
  events: string;
}

/**
 * The chart of {@link stsByRegion} rows grouped by `both` (the default grouping): one bar per
 * region in each panel, regions sorted by calls, allowed regions labelled, outside regions red.
 */
export function stsRegionChart(rows: StsRegionRow[], options: StsRegionChartOptions = {}): Chart {
  for (const r of rows) {
    if (!("logged_region" in r) || !("serving_region" in r)) {
      throw new Error("stsRegionChart needs stsByRegion rows grouped by 'both' (the default)");
    }
  }
  if (rows.length === 0) {
    return emptyChart("sts-regions", "STS calls by region", "No STS calls in the range asked.");
  }
  const allowed = options.allowedRegions;
  const isAllowed = regionMatcher(allowed);
  const statusOf = (region: string) =>
    allowed ? (isAllowed(region) ? STATUS.allowed : STATUS.outside) : STATUS.unknown;
  const labelOf = (region: string) =>
    allowed && isAllowed(region) ? `${region} (allowed)` : region;

  // One bar segment per panel, region and endpoint type; event names listed for the tooltip.
  const bars = new Map<string, Bar & { names: Map<string, number> }>();
  const totals = new Map<string, number>();
  let calls = 0;
  let outside = 0;
  for (const r of rows) {
    calls += r.calls;
    const endpoint = r.endpoint_type === "global" ? "global endpoint" : "regional endpoint";
    for (const [panel, value] of [
      [PANELS.logged, r.logged_region],
      [PANELS.serving, r.serving_region],
    ] as const) {
      const region = value ?? "(none)";
      if (panel === PANELS.serving && allowed && !isAllowed(region)) outside += r.calls;
      const key = `${panel}\u0000${region}\u0000${endpoint}`;
      let bar = bars.get(key);
      if (!bar) {
        bar = {
          panel,
          region,
          label: labelOf(region),
          status: statusOf(region),
          endpoint,
          calls: 0,
          errors: 0,
          events: "",
          names: new Map(),
        };
        bars.set(key, bar);
      }
      bar.calls += r.calls;
      bar.errors += r.errors;
      bar.names.set(r.event_name, (bar.names.get(r.event_name) ?? 0) + r.calls);
      totals.set(region, (totals.get(region) ?? 0) + r.calls);
    }
  }
  // Allowed regions without a call are still listed, so the allowed set is visible.
  for (const a of allowed ?? []) {
    if (!/[*?]/.test(a) && !totals.has(a)) totals.set(a, 0);
  }
  const order = [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([region]) => labelOf(region));
  const values = [...bars.values()]
    .map(({ names, ...bar }) => ({
      ...bar,
      events: [...names.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([n, c]) => `${n} ${c}`)
        .join(", "),
    }))
    .sort(
      (a, b) =>
        a.panel.localeCompare(b.panel) ||
        order.indexOf(a.label) - order.indexOf(b.label) ||
        a.endpoint.localeCompare(b.endpoint),
    );
  const outsideLabels = [...totals.keys()]
    .filter((region) => allowed && !isAllowed(region))
    .map(labelOf)
    .sort();
  const statusDomain = allowed ? [STATUS.allowed, STATUS.outside] : [STATUS.unknown];
  const statusRange = allowed ? [COLORS.allowed, COLORS.outside] : [COLORS.allowed];
  const title = "STS calls by region";
  const subtitle = [
    `${plural(calls, "call")}; global-endpoint calls are logged in us-east-1 but served where the right panel shows`,
    ...(allowed
      ? [
          `allowed regions: ${allowed.join(", ")}; ${plural(outside, "call")} served outside them (red)`,
        ]
      : []),
    ...(options.subtitle ? [options.subtitle] : []),
  ];
  const spec = asSpec({
    $schema: VEGA_LITE_SCHEMA,
    title: { text: title, subtitle },
    description: "STS calls per region: logged region against serving region",
    data: { values },
    facet: {
      column: {
        field: "panel",
        type: "nominal",
        sort: [PANELS.logged, PANELS.serving],
        title: null,
      },
    },
    spec: {
      width: 320,
      height: { step: 22 },
      layer: [
        {
          mark: { type: "bar" },
          encoding: {
            y: {
              field: "label",
              type: "nominal",
              sort: order,
              scale: { domain: order },
              title: "region",
              axis: {
                labelColor: {
                  condition: {
                    test: `indexof(${JSON.stringify(outsideLabels)}, datum.value) >= 0`,
                    value: COLORS.outside,
                  },
                  value: "#222222",
                },
              },
            },
            x: { field: "calls", type: "quantitative", aggregate: "sum", title: "calls" },
            color: {
              field: "status",
              type: "nominal",
              scale: { domain: statusDomain, range: statusRange },
              title: null,
              legend: { orient: "top" },
            },
            opacity: {
              field: "endpoint",
              type: "ordinal",
              sort: ["regional endpoint", "global endpoint"],
              scale: { domain: ["regional endpoint", "global endpoint"], range: [1, 0.45] },
              title: null,
              legend: { orient: "top" },
            },
            order: { field: "endpoint", sort: "descending" },
            tooltip: [
              { field: "region", title: "region" },
              { field: "endpoint", title: "endpoint" },
              { field: "calls", type: "quantitative", title: "calls" },
              { field: "errors", type: "quantitative", title: "errors" },
              { field: "events", title: "event names" },
            ],
          },
        },
        {
          transform: [
            {
              aggregate: [{ op: "sum", field: "calls", as: "total" }],
              groupby: ["panel", "label"],
            },
          ],
          mark: { type: "text", align: "left", dx: 3, fontSize: 10 },
          encoding: {
            y: { field: "label", type: "nominal", sort: order },
            x: { field: "total", type: "quantitative" },
            text: { field: "total", type: "quantitative", format: "," },
          },
        },
      ],
    },
    resolve: { scale: { x: "shared", y: "shared" } },
    config: BASE_CONFIG,
  });
  return {
    id: "sts-regions",
    title,
    description:
      "Bars count STS calls per region; the left panel uses the region CloudTrail logged, the right " +
      "the region that served the call. Regions outside the allowed list are red; lighter segments " +
      "are calls to the global endpoint.",
    spec,
    notes: [],
  };
}
