/**
 * Rendering without a browser: vega-lite compiles the spec, a headless vega View (renderer
 * `none`) draws the SVG, and resvg rasterises it to PNG with the font trailbook ships.
 *
 * Two constraints shape this file:
 * - vega and vega-lite are loaded with a dynamic `import()` when first needed, never statically:
 *   vega's module graph uses top-level await, and a static import anywhere in what a notebook
 *   loads breaks tslab, which reaches this ESM build through `require` (ERR_REQUIRE_ASYNC_MODULE).
 * - resvg draws no text at all when it finds no font, silently. The charts ask for DejaVu Sans
 *   and the renderer passes the font files from the `dejavu-fonts-ttf` package explicitly, with
 *   system fonts off, so a PNG looks the same on a machine with no fonts installed.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { FontMetrics } from "./font-metrics.js";
import type { Chart, VegaLiteSpec } from "./spec.js";
import { CHART_FONT } from "./spec.js";

/** The fonts the PNG renderer loads: the regular and bold faces of DejaVu Sans. */
const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"];

let fontDir: string | undefined;

/** Where the shipped TrueType files are (inside the `dejavu-fonts-ttf` package). */
export function chartFontFiles(): string[] {
  if (fontDir === undefined) {
    const require = createRequire(import.meta.url);
    fontDir = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  }
  const files = FONT_FILES.map((f) => join(fontDir!, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) {
    throw new Error(
      `chart fonts missing (reinstall dependencies with npm ci): ${missing.join(", ")}`,
    );
  }
  return files;
}

/** An SVG drawing, with what vega and vega-lite warned about while making it. */
export interface RenderedSvg {
  svg: string;
  width: number;
  height: number;
  /** Warnings from vega-lite and vega (an empty list for every chart trailbook builds). */
  warnings: string[];
}

export interface PngOptions {
  /** Pixels per SVG unit. Default 2 (sharp on high-density screens and in print). */
  scale?: number;
  /**
   * Font files to use instead of the shipped DejaVu Sans. An empty list renders with no font at
   * all (text disappears): tests use it to prove the shipped font is what draws the text.
   */
  fontFiles?: string[];
}

type VegaModule = typeof import("vega");
type VegaLiteModule = typeof import("vega-lite");

let modules: Promise<{ vega: VegaModule; vl: VegaLiteModule }> | undefined;

function loadModules(): Promise<{ vega: VegaModule; vl: VegaLiteModule }> {
  modules ??= Promise.all([import("vega"), import("vega-lite")]).then(([vega, vl]) => {
    measureWithShippedFont(vega);
    return { vega, vl };
  });
  return modules;
}

interface TextItem {
  fontSize?: number | string;
  fontWeight?: number | string;
  limit?: number | string;
}

/**
 * Makes vega measure text with the shipped font's real widths (see font-metrics.ts). This sets
 * vega's process-wide `textMetrics.width`, as vega documents for canvas-less renderers; every
 * font is measured as DejaVu Sans, the only one trailbook's charts use.
 *
 * A text with a `limit` is measured as at most the limit: the width of the truncated text vega
 * will draw, to within an ellipsis. That is also what vega's own truncation search needs from
 * this function (it compares each candidate's width with the limit).
 */
function measureWithShippedFont(vega: VegaModule): void {
  const [regularFile, boldFile] = chartFontFiles();
  const regular = FontMetrics.fromFile(regularFile!);
  const bold = FontMetrics.fromFile(boldFile!);
  // vega's typings leave textMetrics out; it is part of vega-scenegraph's public API.
  const metrics = (vega as unknown as { textMetrics: { width: unknown } }).textMetrics;
  metrics.width = (item: TextItem, text?: unknown) => {
    const value = text == null ? "" : String(text).trim();
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    const weight = item.fontWeight;
    const isBold = weight === "bold" || weight === "bolder" || Number(weight) >= 600;
    const width = (isBold ? bold : regular).width(value, size);
    const limit = Number(item.limit);
    return limit > 0 ? Math.min(width, limit) : width;
  };
}

/** A logger that keeps messages instead of printing them: library code never writes. */
function collectingLogger(messages: string[]) {
  let level = 2;
  const text = (args: unknown[]) =>
    args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: unknown[]) {
      messages.push(`error: ${text(args)}`);
      return logger;
    },
    warn(...args: unknown[]) {
      if (level >= 2) messages.push(`warning: ${text(args)}`);
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

function specOf(chart: Chart | VegaLiteSpec): VegaLiteSpec {
  return "spec" in chart && typeof chart.spec === "object" && chart.spec !== null
    ? (chart as Chart).spec
    : (chart as VegaLiteSpec);
}

/** Compiles a Vega-Lite spec and draws it as SVG, headless. */
export async function renderSvg(chart: Chart | VegaLiteSpec): Promise<RenderedSvg> {
  const { vega, vl } = await loadModules();
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = vl.compile(specOf(chart) as never, { logger: logger as never });
  const view = new vega.View(vega.parse(compiled.spec), {
    renderer: "none",
    logger: logger as never,
  });
  try {
    await view.runAsync();
    const svg = await view.toSVG();
    // The view's width signal is the plot area's; the SVG's own size includes titles and axes.
    const size = /^<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
    return { svg, width: Number(size?.[1] ?? 0), height: Number(size?.[2] ?? 0), warnings };
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG with the shipped font (or the fonts given). */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  const { Resvg } = await import("@resvg/resvg-js");
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 8)) throw new Error(`PNG scale must be in (0, 8], got ${scale}`);
  const fontFiles = options.fontFiles ?? chartFontFiles();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "#ffffff",
    font: {
      fontFiles,
      loadSystemFonts: false,
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
    },
  });
  return resvg.render().asPng();
}

/** Draws a chart as SVG and PNG. */
export async function renderChart(
  chart: Chart | VegaLiteSpec,
  options: PngOptions = {},
): Promise<RenderedSvg & { png: Buffer }> {
  const rendered = await renderSvg(chart);
  return { ...rendered, png: await svgToPng(rendered.svg, options) };
}
