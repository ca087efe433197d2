/**
 * The report as one self-contained HTML file: styles inline, charts as inline SVG, no script and
 * nothing fetched. A Content-Security-Policy forbids any network or file load, so a reader's
 * browser proves the file stands alone.
 */
import type { Chart } from "../chart/spec.js";
import type { AuditReport, ReportSection, ReportTable } from "./model.js";
import { escapeHtml, htmlTable, paramsComment } from "./table.js";

/** A chart drawn for the report. */
export interface DrawnChart {
  chart: Chart;
  svg: string;
  /** Path of its PNG, relative to the HTML file. */
  png: string;
}

export interface HtmlOptions {
  /** Rows shown per table; the CSV holds them all. Default 200. */
  rowLimit?: number;
  /** Path of each table's CSV relative to the HTML file. */
  csvPath(table: ReportTable): string;
}

const STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 0 auto; max-width: 1400px;
  padding: 0 24px 48px; color: #222; line-height: 1.45; }
header { border-bottom: 2px solid #4c78a8; margin-bottom: 16px; }
h1 { margin: 24px 0 4px; } h2 { margin-top: 40px; border-bottom: 1px solid #ccc; }
h3 { margin: 24px 0 4px; font-size: 1.05em; }
.meta { color: #555; font-size: 0.9em; }
nav ol { columns: 2; font-size: 0.92em; }
figure { margin: 16px 0; overflow-x: auto; } figure svg { max-width: none; }
figcaption { color: #555; font-size: 0.88em; max-width: 100ch; }
.table-wrap { overflow-x: auto; max-height: 640px; border: 1px solid #ddd; }
table.trailbook { border-collapse: collapse; font-size: 0.82em; }
table.trailbook th, table.trailbook td { border-bottom: 1px solid #eee; padding: 3px 8px;
  text-align: left; vertical-align: top; max-width: 60ch; overflow-wrap: anywhere; }
table.trailbook th { position: sticky; top: 0; background: #f3f6fa; }
table.trailbook td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.trailbook td.empty { color: #888; font-style: italic; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 8px; overflow-x: auto;
  font-size: 0.8em; max-height: 480px; }
details { margin: 6px 0 0; } summary { cursor: pointer; color: #4c78a8; }
.more, .files { font-size: 0.85em; color: #555; }
`;

/** Prefixes the ids inside one SVG, so that several charts inline in one page do not clash. */
export function namespaceSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/\bhref="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

function sqlBlock(table: ReportTable): string {
  const statements = table.sql
    .map((s) => {
      return `${s.label ? `-- ${s.label}\n` : ""}${s.sql.trim()};${paramsComment(s.params)}`;
    })
    .join("\n\n");
  const derivation = table.derivation ? `<p class="files">${escapeHtml(table.derivation)}</p>` : "";
  const label = table.sql.length > 1 ? `SQL (${table.sql.length} statements)` : "SQL";
  return `<details><summary>${label}</summary>${derivation}<pre class="sql">${escapeHtml(statements)}</pre></details>`;
}

function tableHtml(table: ReportTable, options: HtmlOptions): string {
  const limit = options.rowLimit ?? 200;
  const csv = options.csvPath(table);
  return `<div class="report-table" id="table-${escapeHtml(table.id)}">
<h3>${escapeHtml(table.title)}</h3>
<p>${escapeHtml(table.description)}</p>
<div class="table-wrap">${htmlTable(table.rows, { columns: table.htmlColumns ?? table.columns, limit })}</div>
<p class="files">${table.rows.length === 1 ? "1 row" : `${table.rows.length} rows`}; all rows and columns in <a href="${escapeHtml(csv)}">${escapeHtml(csv)}</a>.</p>
${sqlBlock(table)}
</div>`;
}

function chartHtml(drawn: DrawnChart): string {
  const { chart } = drawn;
  const notes = chart.notes.map((n) => `<br>${escapeHtml(n)}`).join("");
  return `<figure id="chart-${escapeHtml(chart.id)}" role="img" aria-label="${escapeHtml(chart.title)}">
${namespaceSvgIds(drawn.svg, `chart-${chart.id}`)}
<figcaption>${escapeHtml(chart.description)}${notes}<br>PNG: <a href="${escapeHtml(drawn.png)}">${escapeHtml(drawn.png)}</a></figcaption>
</figure>`;
}

function sectionHtml(
  section: ReportSection,
  charts: Map<Chart, DrawnChart>,
  options: HtmlOptions,
): string {
  const parts = [
    `<section id="${escapeHtml(section.id)}">`,
    `<h2>${escapeHtml(section.title)}</h2>`,
    ...section.intro.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...section.charts.map((c) => chartHtml(charts.get(c)!)),
    ...section.tables.map((t) => tableHtml(t, options)),
    ...section.blocks.map(
      (b) =>
        `<div class="block" id="block-${escapeHtml(b.id)}"><h3>${escapeHtml(b.title)}</h3><pre>${escapeHtml(b.text)}</pre></div>`,
    ),
    `</section>`,
  ];
  return parts.join("\n");
}

/** The whole report as HTML. Every chart of the report must be in `drawn`. */
export function reportHtml(report: AuditReport, drawn: DrawnChart[], options: HtmlOptions): string {
  const charts = new Map(drawn.map((d) => [d.chart, d]));
  for (const s of report.sections) {
    for (const c of s.charts) {
      if (!charts.has(c)) throw new Error(`chart ${c.id} of section ${s.id} was not drawn`);
    }
  }
  const range = `${report.range.from ?? "first event"} to ${report.range.to ?? "last event"}`;
  const lock = report.regionLock
    ? `allowed regions ${report.regionLock.allowedRegions.join(", ")}`
    : "no allowed regions given";
  const toc = report.sections
    .map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`)
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="trailbook ${escapeHtml(report.toolVersion)}">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(report.title)}</h1>
<p class="meta">Case file ${escapeHtml(report.caseFile)}; range ${escapeHtml(range)} (UTC); ${escapeHtml(lock)}.
Generated ${escapeHtml(report.generatedAt)} by trailbook ${escapeHtml(report.toolVersion)}. All times are UTC.</p>
<nav><ol>${toc}</ol></nav>
</header>
<main>
${report.sections.map((s) => sectionHtml(s, charts, options)).join("\n")}
</main>
</body>
</html>
`;
}
