/**
 * Writes the audit report to a folder: `report.html` (self-contained), `charts/<id>.png`,
 * `tables/<id>.csv` for every table (all rows), and `manifest.json` listing every file with its
 * SHA-256, so the report can be attached to a finding and checked later.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { renderChart } from "../chart/render.js";
import type { Case } from "../query/case.js";
import { buildReport, type ReportOptions } from "./build.js";
import { reportHtml, type DrawnChart } from "./html.js";
import type { AuditReport } from "./model.js";
import { csvText } from "./table.js";

export const REPORT_HTML = "report.html";
export const REPORT_MANIFEST = "manifest.json";

/**
 * Why a folder cannot take a report:
 * - `not-a-folder`: the path names something that is not a folder (a file);
 * - `not-a-report-folder`: the folder holds files and no `manifest.json`, so it is not a
 *   previous report, and its files are not replaced or mixed with one.
 */
export const REPORT_OUTPUT_ERROR_CODES = ["not-a-folder", "not-a-report-folder"] as const;
export type ReportOutputErrorCode = (typeof REPORT_OUTPUT_ERROR_CODES)[number];

/** A report folder a user can fix: `path` is the folder as given to {@link writeReport}. */
export class ReportOutputError extends Error {
  override readonly name = "ReportOutputError";
  constructor(
    readonly code: ReportOutputErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export interface WrittenFile {
  /** Relative to the report folder, with forward slashes. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface WrittenReport {
  dir: string;
  html: string;
  report: AuditReport;
  files: WrittenFile[];
  charts: number;
  tables: number;
  /** What vega warned while drawing (none for the charts trailbook builds). */
  warnings: string[];
}

export interface WriteReportOptions extends ReportOptions {
  /** Pixels per SVG unit in the PNGs. Default 2. */
  pngScale?: number;
  /** Rows per table in the HTML. Default 200. */
  htmlRowLimit?: number;
}

interface Manifest {
  tool: string;
  generatedAt: string;
  caseFile: string;
  range: AuditReport["range"];
  regionLock: AuditReport["regionLock"];
  files: WrittenFile[];
  warnings: string[];
}

/**
 * Makes `dir` ready: created when missing; a previous report's files (listed in its manifest)
 * are removed; any other non-empty folder is refused rather than mixed with a report. `given` is
 * the folder as the caller named it, for the error.
 */
function prepareFolder(dir: string, given: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    // Anything else (no permission, say) is not about what the path is: Node's error says it.
    if ((e as NodeJS.ErrnoException).code !== "ENOTDIR") throw e;
    throw new ReportOutputError(
      "not-a-folder",
      given,
      `cannot write a report to ${given}: it is a file, not a folder`,
    );
  }
  if (entries.length === 0) return;
  const manifestPath = join(dir, REPORT_MANIFEST);
  if (!existsSync(manifestPath)) {
    throw new ReportOutputError(
      "not-a-report-folder",
      given,
      `cannot write a report to ${given}: the folder holds files and no ${REPORT_MANIFEST}, so ` +
        "it is not a previous trailbook report; a report goes to a new or empty folder, or " +
        "replaces a previous report",
    );
  }
  const previous = JSON.parse(readFileSync(manifestPath, "utf8")) as Partial<Manifest>;
  for (const f of previous.files ?? []) {
    const path = resolve(dir, f.path);
    // Only inside the folder: a manifest is data, and data does not get to delete elsewhere.
    if (!relative(dir, path).startsWith("..")) rmSync(path, { force: true });
  }
  rmSync(manifestPath, { force: true });
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Builds the report of the case and writes it to `dir`: a new folder, an empty one, or a previous
 * report (whose files are replaced). Any other folder, or a file, is a {@link ReportOutputError}.
 */
export async function writeReport(
  c: Case,
  dir: string,
  options: WriteReportOptions = {},
): Promise<WrittenReport> {
  const out = resolve(dir);
  // Build first: a usage error (a bad time, a bad policy) leaves the folder untouched.
  const report = await buildReport(c, options);
  prepareFolder(out, dir);
  mkdirSync(join(out, "charts"), { recursive: true });
  mkdirSync(join(out, "tables"), { recursive: true });
  const files: WrittenFile[] = [];
  const write = (path: string, data: Buffer | string) => {
    writeFileSync(join(out, path), data);
    files.push({ path, bytes: Buffer.byteLength(data), sha256: sha256(data) });
  };

  const charts = report.sections.flatMap((s) => s.charts);
  const tables = report.sections.flatMap((s) => s.tables);
  for (const list of [charts.map((c) => c.id), tables.map((t) => t.id)]) {
    const dup = list.find((id, i) => list.indexOf(id) !== i);
    if (dup) throw new Error(`two report items share the id ${dup}`);
  }
  const drawn: DrawnChart[] = [];
  const warnings: string[] = [];
  for (const chart of charts) {
    const rendered = await renderChart(chart, { scale: options.pngScale ?? 2 });
    const png = `charts/${chart.id}.png`;
    write(png, rendered.png);
    drawn.push({ chart, svg: rendered.svg, png });
    warnings.push(...rendered.warnings.map((w) => `${chart.id}: ${w}`));
  }
  for (const table of tables) write(`tables/${table.id}.csv`, csvText(table.rows, table.columns));
  const html = reportHtml(report, drawn, {
    csvPath: (t) => `tables/${t.id}.csv`,
    ...(options.htmlRowLimit !== undefined ? { rowLimit: options.htmlRowLimit } : {}),
  });
  write(REPORT_HTML, html);
  const manifest: Manifest = {
    tool: `trailbook ${report.toolVersion}`,
    generatedAt: report.generatedAt,
    caseFile: report.caseFile,
    range: report.range,
    regionLock: report.regionLock,
    files: [...files],
    warnings,
  };
  writeFileSync(join(out, REPORT_MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  return {
    dir: out,
    html: join(out, REPORT_HTML),
    report,
    files,
    charts: charts.length,
    tables: tables.length,
    warnings,
  };
}
