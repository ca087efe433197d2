/**
 * Activity charts: calls over time by region, and the principal-by-region matrix.
 */
import type { PrincipalRegionRow, TimeBucketRow, TimeUnit } from "../query/activity.js";
import { foldTop, regionMatcher, sumBy } from "./fold.js";
import {
  asSpec,
  emptyChart,
  BASE_CONFIG,
  COLORS,
  plural,
  regionColors,
  shortLabels,
  VEGA_LITE_SCHEMA,
  type Chart,
} from "./spec.js";

export interface CallsOverTimeChartOptions {
  /** The bucket size the rows were counted in. Default `hour`. */
  unit?: TimeUnit;
  /** Allowed regions (names or patterns): outside regions get warm colours. */
  allowedRegions?: string[];
  /** Regions shown by name; the rest are summed as `other`. Default 8. */
  topRegions?: number;
  /** What was counted, for the title. Default "Calls". */
  what?: string;
  subtitle?: string;
}

const TIME_UNIT = { hour: "utcyearmonthdatehours", day: "utcyearmonthdate" } as const;

/** Calls per UTC hour (or day), stacked by region, from {@link callsOverTime} rows. */
export function callsOverTimeChart(
  rows: TimeBucketRow[],
  options: CallsOverTimeChartOptions = {},
): Chart {
  const unit = options.unit ?? "hour";
  if (rows.length === 0) {
    const title = `${options.what ?? "Calls"} per ${unit} by region`;
    return emptyChart(`calls-per-${unit}`, title, "No calls in the range asked.");
  }
  const allowed = options.allowedRegions;
  const isAllowed = regionMatcher(allowed);
  const fold = foldTop(
    sumBy(
      rows,
      (r) => r.region,
      (r) => r.calls,
    ),
    options.topRegions ?? 8,
    "region",
  );
  // Summed per bucket and shown region, so an `other` band is one segment, not many.
  const cells = new Map<
    string,
    { bucket: string; region: string; calls: number; errors: number }
  >();
  for (const r of rows) {
    const region = fold.labelOf(r.region);
    const key = `${r.bucket}\u0000${region}`;
    const cell = cells.get(key) ?? { bucket: r.bucket, region, calls: 0, errors: 0 };
    cell.calls += r.calls;
    cell.errors += r.errors;
    cells.set(key, cell);
  }
  // Allowed regions first, then the others, each by calls: the legend reads in that order.
  const shown = [
    ...fold.kept.filter((r) => !allowed || isAllowed(r)),
    ...fold.kept.filter((r) => allowed && !isAllowed(r)),
    ...(fold.otherLabel ? [fold.otherLabel] : []),
  ];
  const colors = regionColors(shown, (r) => !allowed || isAllowed(r));
  const values = [...cells.values()]
    .map((c) => ({ ...c, stack: shown.indexOf(c.region) }))
    .sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : a.stack - b.stack));
  const total = rows.reduce((n, r) => n + r.calls, 0);
  const what = options.what ?? "Calls";
  const title = `${what} per ${unit} by region`;
  const outside = allowed
    ? rows.filter((r) => !isAllowed(r.region)).reduce((n, r) => n + r.calls, 0)
    : 0;
  const subtitle = [
    `${plural(total, "call")}; times are UTC`,
    ...(allowed
      ? [
          `allowed regions: ${allowed.join(", ")} (cool colours); ${plural(outside, "call")} elsewhere (warm colours)`,
        ]
      : []),
    ...(fold.otherLabel ? [`${fold.otherLabel} summed as one band`] : []),
    ...(options.subtitle ? [options.subtitle] : []),
  ];
  const spec = asSpec({
    $schema: VEGA_LITE_SCHEMA,
    title: { text: title, subtitle },
    description: `${what} per ${unit} by region`,
    data: { values },
    width: 860,
    height: 260,
    mark: { type: "bar" },
    encoding: {
      x: {
        field: "bucket",
        type: "temporal",
        timeUnit: TIME_UNIT[unit],
        title: `${unit} (UTC)`,
        axis: { format: unit === "hour" ? "%Y-%m-%d %H:00" : "%Y-%m-%d", labelAngle: -40 },
      },
      y: { field: "calls", type: "quantitative", aggregate: "sum", title: "calls", stack: "zero" },
      color: {
        field: "region",
        type: "nominal",
        scale: colors,
        sort: shown,
        title: "region",
      },
      order: { field: "stack", type: "quantitative", sort: "ascending" },
      tooltip: [
        {
          field: "bucket",
          type: "temporal",
          timeUnit: TIME_UNIT[unit],
          title: `${unit} (UTC)`,
          format: unit === "hour" ? "%Y-%m-%d %H:00" : "%Y-%m-%d",
        },
        { field: "region", title: "region" },
        { field: "calls", type: "quantitative", aggregate: "sum", title: "calls" },
        { field: "errors", type: "quantitative", aggregate: "sum", title: "errors" },
      ],
    },
    config: BASE_CONFIG,
  });
  return {
    id: `calls-per-${unit}`,
    title,
    description: `Stacked bars count ${what.toLowerCase()} per UTC ${unit}, one colour per region.`,
    spec,
    notes: fold.otherLabel ? [`${fold.otherLabel}: ${fold.folded.join(", ")}`] : [],
  };
}

export interface PrincipalRegionChartOptions {
  allowedRegions?: string[];
  /** Principals shown by name; the rest are summed as one `other` row. Default 30. */
  topPrincipals?: number;
  /** Regions shown by name; the rest are one `other` column. Default 16. */
  topRegions?: number;
  what?: string;
  subtitle?: string;
}

/**
 * A matrix of principals (rows, busiest first) against regions (columns, allowed first): each
 * cell counts calls, shaded on a log scale; cells in regions outside the allowed ones are
 * outlined red.
 */
export function principalRegionChart(
  rows: PrincipalRegionRow[],
  options: PrincipalRegionChartOptions = {},
): Chart {
  if (rows.length === 0) {
    const title = `${options.what ?? "Calls"} by principal and region`;
    return emptyChart("principal-regions", title, "No calls in the range asked.");
  }
  const allowed = options.allowedRegions;
  const isAllowed = regionMatcher(allowed);
  const principals = foldTop(
    sumBy(
      rows,
      (r) => r.principal,
      (r) => r.calls,
    ),
    options.topPrincipals ?? 30,
    "principal",
  );
  const regions = foldTop(
    sumBy(
      rows,
      (r) => r.region,
      (r) => r.calls,
    ),
    options.topRegions ?? 16,
    "region",
  );
  const cells = new Map<
    string,
    {
      principal: string;
      label: string;
      region: string;
      calls: number;
      errors: number;
      outside: boolean;
    }
  >();
  const labels = shortLabels(principals.kept);
  for (const r of rows) {
    const principal = principals.labelOf(r.principal);
    const region = regions.labelOf(r.region);
    const key = `${principal}\u0000${region}`;
    const outside = allowed !== undefined && region === r.region && !isAllowed(region);
    const cell = cells.get(key) ?? {
      principal,
      label: labels.get(principal) ?? principal,
      region,
      calls: 0,
      errors: 0,
      outside,
    };
    cell.calls += r.calls;
    cell.errors += r.errors;
    cells.set(key, cell);
  }
  const rowOrder = [
    ...principals.kept.map((p) => labels.get(p)!),
    ...(principals.otherLabel ? [principals.otherLabel] : []),
  ];
  const columnOrder = [
    ...regions.kept.filter((r) => !allowed || isAllowed(r)),
    ...regions.kept.filter((r) => allowed && !isAllowed(r)),
    ...(regions.otherLabel ? [regions.otherLabel] : []),
  ];
  const values = [...cells.values()].sort(
    (a, b) =>
      rowOrder.indexOf(a.label) - rowOrder.indexOf(b.label) ||
      columnOrder.indexOf(a.region) - columnOrder.indexOf(b.region),
  );
  const outsideColumns = columnOrder.filter(
    (r) => allowed && r !== regions.otherLabel && !isAllowed(r),
  );
  // White text on the darker cells: above 60% of the way up the log colour scale.
  const counts = values.map((v) => v.calls).filter((n) => n > 0);
  const lo = Math.log(Math.min(...counts, 1));
  const hi = Math.log(Math.max(...counts, 1));
  const dark = Math.ceil(Math.exp(lo + 0.6 * (hi - lo)));
  const what = options.what ?? "Calls";
  const title = `${what} by principal and region`;
  const subtitle = [
    `${plural(principals.kept.length + principals.folded.length, "principal")}, ${plural(regions.kept.length + regions.folded.length, "region")}; darker cells hold more calls (log scale)`,
    ...(allowed
      ? [
          `allowed regions: ${allowed.join(", ")}; regions outside them are red, their cells outlined`,
        ]
      : []),
    ...(principals.otherLabel ? [`${principals.otherLabel} summed in the last row`] : []),
    ...(options.subtitle ? [options.subtitle] : []),
  ];
  const spec = asSpec({
    $schema: VEGA_LITE_SCHEMA,
    title: { text: title, subtitle },
    description: `${what} per principal and region`,
    data: { values },
    width: { step: 44 },
    height: { step: 20 },
    encoding: {
      x: {
        field: "region",
        type: "nominal",
        sort: columnOrder,
        scale: { domain: columnOrder },
        title: "region",
        axis: {
          orient: "top",
          labelAngle: -40,
          labelColor: {
            condition: {
              test: `indexof(${JSON.stringify(outsideColumns)}, datum.value) >= 0`,
              value: COLORS.outside,
            },
            value: "#222222",
          },
        },
      },
      y: {
        field: "label",
        type: "nominal",
        sort: rowOrder,
        scale: { domain: rowOrder },
        title: "principal",
      },
    },
    layer: [
      {
        mark: { type: "rect" },
        encoding: {
          color: {
            field: "calls",
            type: "quantitative",
            scale: { type: "log", scheme: "blues" },
            title: "calls",
          },
          stroke: {
            condition: { test: "datum.outside", value: COLORS.outside },
            value: null,
          },
          strokeWidth: { condition: { test: "datum.outside", value: 2 }, value: 0 },
          tooltip: [
            { field: "principal", title: "principal" },
            { field: "region", title: "region" },
            { field: "calls", type: "quantitative", title: "calls" },
            { field: "errors", type: "quantitative", title: "errors" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 9 },
        encoding: {
          text: { field: "calls", type: "quantitative", format: "~s" },
          color: {
            condition: { test: `datum.calls >= ${dark}`, value: "#ffffff" },
            value: "#222222",
          },
        },
      },
    ],
    config: BASE_CONFIG,
  });
  const notes = [
    ...(principals.otherLabel ? [`${principals.otherLabel}: ${principals.folded.join(", ")}`] : []),
    ...(regions.otherLabel ? [`${regions.otherLabel}: ${regions.folded.join(", ")}`] : []),
  ];
  return {
    id: "principal-regions",
    title,
    description:
      "Each cell counts one principal's calls in one region; the busiest principals come first, " +
      "allowed regions on the left.",
    spec,
    notes,
  };
}
