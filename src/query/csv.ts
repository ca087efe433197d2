/**
 * Result rows as CSV: the one writer behind `--format csv` and the audit report's `tables/*.csv`,
 * so the same rows give the same bytes whichever way a responder exports them.
 *
 * The convention:
 * - Fields are separated by commas and records end with a line feed (`\n`, also after the last
 *   one); the first record holds the column names. RFC 4180 asks for CRLF, but the readers that
 *   follow it (spreadsheets, Python's `csv`, DuckDB's `read_csv`) all take LF, and line-oriented
 *   tools (`grep`, `cut`, `awk`) would otherwise see a `\r` at the end of every last field.
 * - A field holding a comma, a double quote, a CR or an LF is quoted, and its quotes doubled
 *   (RFC 4180); a line break inside a value is kept as it is, inside the quotes.
 * - `null` and `undefined` give an empty field, and so does an empty string: CSV has no null, so
 *   the two cannot be told apart (JSON, NDJSON and Parquet can). A record whose only field is
 *   empty is written `""`, because many readers skip a blank line and the row would be lost.
 * - Lists and objects are written as JSON (`["us-east-1","us-west-2"]`, `{"key":"value"}`), whose
 *   quotes are then doubled by the quoting above. A bigint inside one is written as a JSON string
 *   of its digits, as query rows hold integers beyond 2^53.
 * - Times: query rows already hold them as ISO 8601 text in UTC (`2026-10-27T09:14:03.000Z`),
 *   written as they are; a `Date` is written the same way, at the top level or inside a list.
 * - Numbers, bigints and booleans as JavaScript prints them (`12`, `0.5`, `true`).
 *
 * Cells are written verbatim: a value an attacker chose (a user agent, a request parameter) may
 * begin with `=`, `+`, `-` or `@`, which a spreadsheet may take for a formula. Changing the text
 * would change the evidence, so nothing is escaped; import such files as text.
 */

/** What ends every record. */
export const CSV_LINE_END = "\n";

/** One value as the text of its field, before quoting (see the convention above). */
function fieldText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
  if (typeof value === "object") return JSON.stringify(value, jsonValue) ?? "";
  return String(value);
}

/** JSON.stringify cannot write a bigint: its digits go as a string, as query rows hold them. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One value as a CSV field, quoted when it must be. */
export function csvField(value: unknown): string {
  const text = fieldText(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record: the values as fields, with the line end. */
export function csvRecord(values: readonly unknown[]): string {
  const fields = values.map(csvField);
  // A lone empty field would make a blank line, which readers skip.
  if (fields.length === 1 && fields[0] === "") return `""${CSV_LINE_END}`;
  return fields.join(",") + CSV_LINE_END;
}

/** The records of the rows (no header): each row's values in the order of `columns`. */
export function csvRecords(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): string {
  return rows.map((row) => csvRecord(columns.map((c) => row[c]))).join("");
}

/** A whole CSV document: the header, then a record per row. */
export function toCsv(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): string {
  return csvRecord(columns) + csvRecords(columns, rows);
}
