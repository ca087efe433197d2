/** Rendering result rows for the terminal and for scripts. */
import { csvRecord, csvRecords, toCsv } from "../query/csv.js";

export const OUTPUT_FORMATS = ["table", "csv", "json", "ndjson"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface FormatOptions {
  /** For `table`: the width to fit, in characters. Default: {@link terminalWidth}. */
  width?: number;
}

/**
 * The width a table must fit: the terminal's when stdout is one, else `$COLUMNS`, else 120 (a
 * table piped to a file or a pager is still read by a person).
 */
export function terminalWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env >= 20 ? env : 120;
}

export function formatRows(
  columns: string[],
  rows: Record<string, unknown>[],
  format: OutputFormat,
  options: FormatOptions = {},
): string {
  switch (format) {
    case "json":
      return JSON.stringify(rows, null, 2) + "\n";
    case "ndjson":
      return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
    case "csv":
      // The report's tables/*.csv are written by the same function: the same rows, the same bytes.
      return toCsv(columns, rows);
    case "table":
      return table(columns, rows, options.width ?? terminalWidth());
  }
}

/**
 * Rows in a streamed format, one page at a time, for results too large to hold. `written` is how
 * many rows came before this page; the caller adds {@link streamStart} and {@link streamEnd}.
 * Together they print byte for byte what {@link formatRows} prints for all the rows at once.
 * (`table` needs every row to size its columns, so it is not streamed.)
 */
export function formatPage(
  columns: string[],
  rows: Record<string, unknown>[],
  format: Exclude<OutputFormat, "table">,
  written: number,
): string {
  switch (format) {
    case "ndjson":
      return rows.map((r) => JSON.stringify(r) + "\n").join("");
    case "csv":
      return csvRecords(columns, rows);
    case "json":
      return rows
        .map(
          (r, i) =>
            (written + i === 0 ? "\n" : ",\n") +
            "  " +
            JSON.stringify(r, null, 2).replaceAll("\n", "\n  "),
        )
        .join("");
  }
}

/** What a streamed format starts with. */
export function streamStart(columns: string[], format: Exclude<OutputFormat, "table">): string {
  return format === "csv" ? csvRecord(columns) : format === "json" ? "[" : "";
}

/** What a streamed format ends with, after `written` rows. */
export function streamEnd(format: Exclude<OutputFormat, "table">, written: number): string {
  return format === "json" ? (written ? "\n]\n" : "]\n") : "";
}

/** Any other value as a table cell shows it: objects as JSON, nothing for null. */
function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

const GAP = 2;
/**
 * No column is squeezed below this (or its natural width, if smaller): 19 holds a time, a region
 * and most verdicts whole. A table that cannot fit its columns at this width leaves out the last
 * ones instead, and says so.
 */
const MIN_COLUMN = 19;
/** How narrow a long column may become before columns are left out. */
const SQUEEZED = 12;

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.000)?Z$/;

/** A value as a table cell shows it: times without the T and milliseconds, lists joined. */
function cellText(value: unknown): string {
  if (typeof value === "string") {
    const m = ISO_TIME.exec(value);
    return (m ? `${m[1]} ${m[2]}` : value).replace(/\s+/g, " ");
  }
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(", ");
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.every(([, v]) => typeof v === "number" || typeof v === "string")) {
      return entries.map(([k, v]) => `${k}: ${v}`).join(", ");
    }
  }
  return text(value).replace(/\s+/g, " ");
}

/**
 * Shortens a cell to `width`. An ARN or a path keeps its start and its end (where the name is);
 * anything else keeps its start.
 */
function clip(s: string, width: number): string {
  if (s.length <= width) return s;
  if ((s.startsWith("arn:") || s.includes("/")) && width >= 9) {
    const tail = Math.floor((width - 1) / 2);
    return s.slice(0, width - 1 - tail) + "…" + s.slice(s.length - tail);
  }
  return s.slice(0, Math.max(width - 1, 0)) + "…";
}

/**
 * A table that fits `width`: the widest columns are narrowed first (their cells end in "…");
 * when even the narrowest columns do not fit, the last columns are left out and a line says
 * which, so nothing is dropped silently.
 */
function table(allColumns: string[], rows: Record<string, unknown>[], width: number): string {
  // A column with no value in any row says nothing in a table: it is left out, and said so.
  const empty = rows.length
    ? allColumns.filter((c) => rows.every((r) => cellText(r[c]) === ""))
    : [];
  const columns = allColumns.filter((c) => !empty.includes(c));
  const body = rows.map((r) => columns.map((c) => cellText(r[c])));
  const natural = columns.map((c, i) => Math.max(c.length, ...body.map((row) => row[i]!.length)));
  const total = (n: number, widths: number[]) =>
    widths.slice(0, n).reduce((a, b) => a + b, 0) + GAP * Math.max(n - 1, 0);
  // Two floors: first every column keeps MIN_COLUMN characters (a time, a region, most verdicts
  // whole); when that is too wide, long values (ARNs, ids) may shrink to a recognisable prefix
  // and suffix of SQUEEZED characters. Only then are trailing columns left out.
  const comfortable = natural.map((w) => Math.min(w, MIN_COLUMN));
  const tight = natural.map((w) => (w > MIN_COLUMN ? SQUEEZED : w));
  const floor = total(columns.length, comfortable) <= width ? comfortable : tight;
  let shown = columns.length;
  while (shown > 1 && total(shown, floor) > width) shown--;
  const widths = natural.slice(0, shown);
  // Narrow the widest column, one character at a time, until the table fits.
  while (total(shown, widths) > width) {
    let widest = -1;
    for (let i = 0; i < shown; i++) {
      if (widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) break;
    widths[widest]!--;
  }
  const line = (cells: string[]) =>
    cells
      .slice(0, shown)
      .map((s, i) => clip(s, widths[i]!).padEnd(widths[i]!))
      .join(" ".repeat(GAP))
      .trimEnd();
  const out = [line(columns), line(widths.map((w) => "-".repeat(w))), ...body.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? "" : "s"})`);
  if (empty.length) out.push(...wrap(`(empty in every row: ${empty.join(", ")})`, width));
  if (shown < columns.length) {
    const n = columns.length - shown;
    out.push(
      ...wrap(
        `(${n} more column${n === 1 ? "" : "s"} not shown: ${columns.slice(shown).join(", ")}; ` +
          "use --format csv or json, or a wider terminal)",
        width,
      ),
    );
  }
  return out.join("\n") + "\n";
}

/** Breaks a sentence into lines of at most `width` characters, at spaces where it can. */
export function wrap(sentence: string, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of sentence.split(" ")) {
    const next = current ? `${current} ${word}` : word;
    if (next.length <= width || !current) current = next;
    else {
      lines.push(current);
      current = word;
    }
  }
  if (current) lines.push(current);
  return lines.flatMap((l) =>
    l.length <= width ? [l] : l.match(new RegExp(`.{1,${width}}`, "g")!)!,
  );
}
