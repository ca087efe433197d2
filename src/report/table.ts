/**
 * Tables as people read them: HTML for reports and notebooks, CSV for spreadsheets and scripts.
 * Both take plain rows (query results) and a column list; neither drops a row silently: a
 * shortened HTML table says how many rows it leaves out, and the CSV always holds them all.
 */
import { toCsv } from "../query/csv.js";

/** One column: the row key, and the heading shown (the key when absent). */
export interface TableColumn {
  key: string;
  title?: string;
}

export interface HtmlTableOptions {
  /** Columns in order; by default the keys of the first row. */
  columns?: (string | TableColumn)[];
  /** Rows shown at most; the rest are counted below the table. Default: all. */
  limit?: number;
  caption?: string;
  /** An id for the table element (reports link to it). */
  id?: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * A cell as an HTML table shows it: lists of plain values joined with commas, objects as JSON,
 * nothing for null. (A CSV cell is written differently, lists as JSON: see {@link toCsv}.)
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    return value.every((v) => v === null || typeof v !== "object")
      ? value.map((v) => cellText(v)).join(", ")
      : JSON.stringify(value);
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function columnsOf(
  rows: object[],
  columns: (string | TableColumn)[] | undefined,
): TableColumn[] {
  const list = columns ?? Object.keys(rows[0] ?? {});
  return list.map((c) => (typeof c === "string" ? { key: c } : c));
}

const NUMERIC = /^-?\d[\d,]*(\.\d+)?$/;

/** An HTML table of the rows. */
export function htmlTable(rows: object[], options: HtmlTableOptions = {}): string {
  const columns = columnsOf(rows, options.columns);
  const limit = options.limit ?? rows.length;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new Error(`a table row limit must be a whole number >= 0, got ${limit}`);
  }
  const shown = rows.slice(0, limit);
  const head = columns.map((c) => `<th>${escapeHtml(c.title ?? c.key)}</th>`).join("");
  const body = shown
    .map((row) => {
      const cells = columns.map((c) => {
        const text = cellText((row as Record<string, unknown>)[c.key]);
        const numeric = typeof (row as Record<string, unknown>)[c.key] === "number";
        return `<td${numeric || NUMERIC.test(text) ? ' class="num"' : ""}>${escapeHtml(text)}</td>`;
      });
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("\n");
  const id = options.id ? ` id="${escapeHtml(options.id)}"` : "";
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  const empty =
    rows.length === 0
      ? `<tr><td class="empty" colspan="${Math.max(columns.length, 1)}">no rows</td></tr>`
      : "";
  const more =
    rows.length > shown.length
      ? `\n<p class="more">${rows.length - shown.length} more rows not shown (of ${rows.length}).</p>`
      : "";
  return `<table class="trailbook"${id}>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}${empty}\n</tbody></table>${more}`;
}

/**
 * All the rows as CSV, with a header of the column keys. The CLI's `--format csv` writes rows
 * with the same function ({@link toCsv}, whose comment states the convention), so a table of the
 * report and the same rows from the CLI are the same bytes.
 */
export function csvText(rows: object[], columns?: (string | TableColumn)[]): string {
  return toCsv(
    columnsOf(rows, columns).map((c) => c.key),
    rows as Record<string, unknown>[],
  );
}

/** Bound parameters as JSON: DuckDB list values show as their items. */
export function paramReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value && typeof value === "object" && "items" in value) {
    return (value as { items: unknown[] }).items;
  }
  return value;
}

/** The parameters of a statement as an SQL comment line to print under it, or "" when none. */
export function paramsComment(params: object | undefined): string {
  return params && Object.keys(params).length
    ? `\n-- parameters: ${JSON.stringify(params, paramReplacer)}`
    : "";
}
