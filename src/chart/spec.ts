/**
 * What a chart is: a Vega-Lite spec with its data inlined, plus what it was built from.
 *
 * The spec type is our own, deliberately loose, rather than vega-lite's `TopLevelSpec`: a notebook
 * (tslab) cannot resolve vega-lite's typings, which the package exposes only through `exports`,
 * and they would silently become `any` there. The builders check their specs against vega-lite's
 * own types at compile time (see `asSpec`), so what they return is valid Vega-Lite.
 */
import type { TopLevelSpec } from "vega-lite";
import { actorLabel } from "../store/actor.js";

/**
 * The Vega-Lite schema the specs follow. (Notebooks display them under JupyterLab's Vega-Lite 5
 * MIME type: see NOTEBOOK_VEGA_LITE_MIME in report/notebook.ts.)
 */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** The font every chart asks for; the renderer ships it (see render.ts). */
export const CHART_FONT = "DejaVu Sans";

/** A Vega-Lite spec, data inlined, as plain JSON. */
export interface VegaLiteSpec {
  $schema: string;
  title?: unknown;
  description?: string;
  data?: { values: object[] } | { name: string };
  [key: string]: unknown;
}

/** A chart ready to display or render. */
export interface Chart {
  /** A stable file name stem: `sts-regions`, `principal-regions`... */
  id: string;
  title: string;
  /** One sentence on how to read it, for reports and alt text. */
  description: string;
  spec: VegaLiteSpec;
  /** What was folded to keep it readable (top-N), in words; empty when nothing was. */
  notes: string[];
}

/** Colours with a meaning, used the same way in every chart. */
export const COLORS = {
  allowed: "#4c78a8",
  outside: "#d62728",
  neutral: "#9d9d9d",
  other: "#c7c7c7",
  window: "#fdf2d0",
} as const;

// Blues and greens for allowed regions, reds and oranges for the rest: the eye finds the
// outside regions before reading the legend.
const ALLOWED_PALETTE = ["#4c78a8", "#72b7b2", "#54a24b", "#9ecae9", "#88d27a", "#b5d0e5"];
const OUTSIDE_PALETTE = [
  "#d62728",
  "#f58518",
  "#b8336a",
  "#e45756",
  "#ff9d98",
  "#9c5a00",
  "#ffbf79",
  "#8c1c13",
];

/** Colours for a list of regions: allowed ones cool, outside ones warm, `other` grey. */
export function regionColors(
  regions: string[],
  isAllowed: (region: string) => boolean,
): { domain: string[]; range: string[] } {
  let a = 0;
  let o = 0;
  const range = regions.map((r) => {
    if (r.startsWith(OTHER_PREFIX)) return COLORS.other;
    if (isAllowed(r)) return ALLOWED_PALETTE[a++ % ALLOWED_PALETTE.length]!;
    return OUTSIDE_PALETTE[o++ % OUTSIDE_PALETTE.length]!;
  });
  return { domain: [...regions], range };
}

/** Labels of folded rows start with this. */
export const OTHER_PREFIX = "other";

/** The look shared by every chart: the shipped font, white background, UTC in titles. */
export const BASE_CONFIG = {
  font: CHART_FONT,
  background: "#ffffff",
  title: { anchor: "start", fontSize: 15, subtitleFontSize: 11, subtitleColor: "#555555" },
  // maxExtent caps the room an axis takes for labels (200 by default): it must exceed labelLimit
  // or the axis title lands on top of long labels.
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, maxExtent: 340 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: "#dddddd" },
} as const;

/**
 * Checks a spec against vega-lite's types (at compile time) and returns it as our JSON type.
 * Our builders pass object literals, so a misspelt channel or property fails the typecheck.
 */
export function asSpec(spec: TopLevelSpec): VegaLiteSpec {
  return spec as unknown as VegaLiteSpec;
}

/**
 * The last part of an ARN, so that axes show `role/deploy` rather than the whole ARN; any other
 * actor key as `actorLabel` shortens it (`saml:<subject>`).
 */
export function shortName(actor: string): string {
  if (!actor.startsWith("arn:")) return actorLabel(actor);
  const parts = actor.split(":");
  const account = parts[4];
  const rest = parts.slice(5).join(":");
  if (!rest) return actor;
  return account ? `${rest} (${account})` : rest;
}

/**
 * Short labels for a list of principals: {@link shortName} unless two would read the same (the
 * same role name in two accounts' ARNs that differ elsewhere), in which case both keep the key.
 */
export function shortLabels(keys: string[]): Map<string, string> {
  const labels = new Map(keys.map((k) => [k, shortName(k)]));
  const count = new Map<string, number>();
  for (const l of labels.values()) count.set(l, (count.get(l) ?? 0) + 1);
  for (const [k, l] of labels) if ((count.get(l) ?? 0) > 1) labels.set(k, k);
  return labels;
}

/** "1 call", "2 calls". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** An ISO time as `2026-10-26 15:04 UTC` (seconds kept when not zero). */
export function utcText(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const text = d.toISOString();
  const seconds = text.slice(17, 19);
  return `${text.slice(0, 10)} ${text.slice(11, 16)}${seconds === "00" ? "" : `:${seconds}`} UTC`;
}

/** What a builder returns when there is nothing to draw: the title and a line saying so. */
export function emptyChart(
  id: string,
  title: string,
  message: string,
  subtitle: string[] = [],
): Chart {
  const spec = asSpec({
    $schema: VEGA_LITE_SCHEMA,
    title: subtitle.length ? { text: title, subtitle } : { text: title },
    description: message,
    data: { values: [{ message }] },
    width: 480,
    height: 30,
    mark: { type: "text", align: "left", baseline: "middle", fontSize: 13, color: "#555555" },
    encoding: { text: { field: "message", type: "nominal" }, x: { value: 0 }, y: { value: 15 } },
    config: { ...BASE_CONFIG, view: { stroke: null } },
  });
  return { id, title, description: message, spec, notes: [] };
}
