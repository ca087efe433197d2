/**
 * What the query commands share: the case and time-range options, turning library errors a user
 * can fix into usage errors, and writing rows to stdout or to a file (CSV, JSON, Parquet...).
 */
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import type { Command } from "commander";
import { BaselineOptionError, SuppressionFileError } from "../baseline/index.js";
import { PolicyError } from "../iam/policy/index.js";
import { IamLoadError } from "../iam/snapshot.js";
import { openCase, type Case, type OpenOptions, type SqlParams } from "../query/case.js";
import { QueryOptionsError, splitList, type QueryFilters } from "../query/filters.js";
import type { ColumnKinds } from "../query/columns.js";
import { writeResultParquet, writeRowsParquet } from "../query/parquet.js";
import { SqlFailedError, SqlRefusedError } from "../query/sandbox.js";
import { UsageError } from "./exit.js";
import { choice } from "./options.js";
import {
  formatPage,
  formatRows,
  OUTPUT_FORMATS,
  streamEnd,
  streamStart,
  type OutputFormat,
} from "./format.js";

/** Formats of `--format`; `parquet` needs `--out`. */
export const QUERY_FORMATS = [...OUTPUT_FORMATS, "parquet"] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

export interface CommonOptions {
  db: string;
  from?: string;
  to?: string;
  accounts?: string;
  principals?: string;
  eventNames?: string;
  regions?: string;
  format: string;
  out?: string;
}

/** Adds --db, the filters, --format and --out to a command. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--db <file>", "the case file")
    .option("--from <time>", "start, inclusive (ISO 8601, UTC unless a zone is given)")
    .option("--to <time>", "end, exclusive")
    .option("--accounts <ids>", "comma-separated account ids (trail's or caller's)")
    .option("--principals <arns>", "comma-separated actors or principal ARNs")
    .option("--event-names <names>", "comma-separated event names")
    .option("--regions <regions>", "comma-separated logged or serving regions")
    .option("--format <format>", `output format: ${QUERY_FORMATS.join(", ")}`, "table")
    .option("--out <file>", "write to this file instead of stdout (parquet: --format parquet)");
}

/** The filters given on the command line. */
export function filtersOf(opts: CommonOptions): QueryFilters {
  const f: QueryFilters = {};
  if (opts.from !== undefined) f.from = opts.from;
  if (opts.to !== undefined) f.to = opts.to;
  const lists = {
    accounts: opts.accounts,
    principals: opts.principals,
    eventNames: opts.eventNames,
    regions: opts.regions,
  };
  for (const [k, v] of Object.entries(lists)) {
    const l = splitList(v);
    if (l) f[k as "accounts"] = l;
  }
  return f;
}

/** Checks --format against --out before anything runs. */
export function formatOf(opts: Pick<CommonOptions, "format" | "out">): QueryFormat {
  const format = choice("--format", opts.format, QUERY_FORMATS);
  if (format === "parquet" && !opts.out) {
    throw new UsageError("--format parquet writes a file: give --out <file>");
  }
  return format;
}

/** Opens the case file, runs `run` on it and closes it, whatever happens. */
export async function withCase<T>(
  path: string,
  run: (c: Case) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const c = await openCase(path, options);
  try {
    return await run(c);
  } finally {
    c.close();
  }
}

/**
 * Runs a command body, turning the library's errors in the user's input (options, policies, SQL,
 * IAM exports, suppression files) into usage errors.
 */
export async function asUsage<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof IamLoadError) throw new UsageError(`${e.message} [${e.code}]`);
    if (
      e instanceof QueryOptionsError ||
      e instanceof PolicyError ||
      e instanceof SqlRefusedError ||
      e instanceof SqlFailedError ||
      e instanceof BaselineOptionError ||
      e instanceof SuppressionFileError
    ) {
      throw new UsageError(e.message);
    }
    throw e;
  }
}

/**
 * What to write: rows with their columns, or the SQL whose result they are (then CSV, JSON and
 * NDJSON stream page by page, Parquet streams through DuckDB, and only a table holds every row).
 */
export interface Output {
  columns: string[];
  rows?: Record<string, unknown>[];
  /** The kinds of the columns (for Parquet types); inferred from the values when missing. */
  types?: ColumnKinds;
  /** The columns a terminal table shows (default: all). */
  tableColumns?: string[];
  /** When the rows are exactly this query's result, Parquet is streamed from it by DuckDB. */
  query?: { sql: string; params: SqlParams };
}

/** Writes the output to stdout or to `--out`. */
export async function writeOutput(c: Case, out: Output, format: QueryFormat, file?: string) {
  if (format === "parquet") {
    const n = out.query
      ? await writeResultParquet(await c.streamResult(out.query.sql, out.query.params), file!)
      : await writeRowsParquet(out.columns, out.rows ?? [], out.types ?? {}, file!);
    process.stderr.write(`wrote ${n} rows to ${file}\n`);
    return;
  }
  if (out.query && format !== "table") {
    const n = await streamOutput(c, out.query, format, file);
    if (file) process.stderr.write(`wrote ${n} rows to ${file}\n`);
    return;
  }
  const fetched = out.rows ? null : await c.sql(out.query!.sql, out.query!.params);
  const rows = out.rows ?? fetched!.rows;
  const all = fetched ? fetched.columns : out.columns;
  const columns = format === "table" ? (out.tableColumns ?? all) : all;
  const text = formatRows(columns, rows, format as OutputFormat);
  if (file) {
    writeFileSync(file, text);
    process.stderr.write(`wrote ${rows.length} rows to ${file}\n`);
  } else process.stdout.write(text);
}

/** Streams a query's result as CSV, JSON or NDJSON; returns the number of rows written. */
async function streamOutput(
  c: Case,
  query: { sql: string; params: SqlParams },
  format: Exclude<OutputFormat, "table">,
  file: string | undefined,
): Promise<number> {
  const { columns, pages } = await c.pages(query.sql, query.params);
  const fd = file ? openSync(file, "w") : null;
  const write = async (text: string): Promise<void> => {
    if (text === "") return;
    if (fd !== null) writeSync(fd, text);
    // Respect a slow reader: wait for the pipe to drain rather than buffer the whole result.
    else if (!process.stdout.write(text)) {
      await new Promise<void>((resolve) => process.stdout.once("drain", resolve));
    }
  };
  let written = 0;
  try {
    await write(streamStart(columns, format));
    for await (const page of pages) {
      await write(formatPage(columns, page, format, written));
      written += page.length;
    }
    await write(streamEnd(format, written));
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return written;
}
