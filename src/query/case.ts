/**
 * An opened case file, for asking questions: SQL with bound parameters in, typed rows out, and
 * every result carrying the SQL and parameters that produced it so a report can show its work.
 */
import type { DuckDBValue } from "@duckdb/node-api";
import { tableFromJSON, type Table } from "apache-arrow";
import { CaseDatabase, type OpenCaseOptions } from "../store/database.js";

/** A value that can be bound to a `$name` parameter. */
export type SqlParam = string | number | boolean | null | bigint | Date | DuckDBValue;
export type SqlParams = Record<string, SqlParam>;

/** A plain JSON-friendly value in a result row: numbers, strings (times as ISO 8601), arrays. */
export type RowValue = string | number | boolean | null | RowValue[] | { [key: string]: RowValue };
export type Row = Record<string, RowValue>;

/** Rows plus how they were obtained. */
export interface QueryResult<T> {
  rows: T[];
  columns: string[];
  sql: string;
  params: SqlParams;
}

export interface OpenOptions {
  /** Lock the connection down for untrusted SQL (see CaseDatabase). Default false. */
  sandbox?: boolean;
  /** Open read-write (needed to store IAM snapshots). Default read-only. */
  writable?: boolean;
  /** With `writable`: create the case file when it does not exist. */
  create?: boolean;
  threads?: number;
}

/** An open case file. Close it when done: DuckDB allows one writer or many readers at a time. */
export class Case {
  private constructor(readonly database: CaseDatabase) {}

  static async open(path: string, options: OpenOptions = {}): Promise<Case> {
    const open: OpenCaseOptions = { readOnly: !options.writable };
    if (options.sandbox) open.sandbox = true;
    if (options.writable && options.create) open.create = true;
    if (options.threads !== undefined) open.threads = options.threads;
    return new Case(await CaseDatabase.open(path, open));
  }

  get path(): string {
    return this.database.path;
  }

  /** Runs SQL with `$name` parameters and returns all rows, converted to plain values. */
  async sql<T = Row>(sql: string, params: SqlParams = {}): Promise<QueryResult<T>> {
    const reader = await this.database.connection.runAndReadAll(sql, bind(params));
    const columns = reader.columnNames();
    const rows = reader.getRowObjectsJS().map((r) => plainRow(r)) as T[];
    return { rows, columns, sql, params };
  }

  /** Streams a large result in pages of plain rows, without holding it all in memory. */
  async *stream<T = Row>(sql: string, params: SqlParams = {}): AsyncGenerator<T[]> {
    const result = await this.database.connection.stream(sql, bind(params));
    for await (const page of result.yieldRowObjectJs()) {
      yield page.map((r) => plainRow(r)) as T[];
    }
  }

  close(): void {
    this.database.close();
  }
}

export async function openCase(path: string, options: OpenOptions = {}): Promise<Case> {
  return Case.open(path, options);
}

/** An Arrow table of a result's rows, for notebooks and data tools. */
export function toArrow<T extends object>(result: { rows: T[] }): Table {
  return tableFromJSON(result.rows as Record<string, unknown>[]);
}

function bind(params: SqlParams): Record<string, DuckDBValue> {
  const out: Record<string, DuckDBValue> = {};
  for (const [k, v] of Object.entries(params)) {
    out[k] = v instanceof Date ? v.toISOString() : (v as DuckDBValue);
  }
  return out;
}

/** Converts DuckDB's JS values: bigint to number when exact, Date to an ISO string. */
export function plainValue(value: unknown): RowValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === "object") {
    const out: Record<string, RowValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainValue(v);
    return out;
  }
  return value as RowValue;
}

function plainRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = plainValue(v);
  return out;
}
