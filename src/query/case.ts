/**
 * An opened case file, for asking questions: SQL with bound parameters in, typed rows out, and
 * every result carrying the SQL and parameters that produced it so a report can show its work.
 */
import {
  JSDuckDBValueConverter,
  listValue,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import { CaseDatabase, type OpenCaseOptions } from "../store/database.js";
import { QueryOptionsError } from "./filters.js";
import { arrowFromColumns, kindsOf, type ColumnKinds } from "./columns.js";
import { checkStatementType, describeSqlError, refuseSeveral, SqlRefusedError } from "./sandbox.js";

/**
 * A value that can be bound to a `$name` parameter. A Date binds as its ISO 8601 text (compare
 * it with `$t::TIMESTAMPTZ`); a list of strings binds as a `VARCHAR[]`.
 */
export type SqlParam =
  string | number | boolean | null | bigint | Date | readonly string[] | DuckDBValue;
export type SqlParams = Record<string, SqlParam>;

/**
 * A plain JSON-friendly value in a result row: numbers (exact; a BIGINT beyond 2^53 becomes a
 * string), strings (times as ISO 8601 in UTC), booleans, lists, objects (JSON columns parsed).
 */
export type RowValue = string | number | boolean | null | RowValue[] | { [key: string]: RowValue };
export type Row = Record<string, RowValue>;

/** Rows plus how they were obtained, and what kind of value each column holds. */
export interface QueryResult<T> {
  rows: T[];
  columns: string[];
  /** Each column's kind (timestamp, integer, string[]...): what `toArrow` builds types from. */
  types: ColumnKinds;
  sql: string;
  params: SqlParams;
}

export interface OpenOptions {
  /**
   * Lock the connection down for untrusted SQL: nothing but the case file's tables can be read,
   * nothing written, one read-only statement per call (see `sandbox.ts`). Default false.
   */
  sandbox?: boolean;
  /** Open read-write (needed to store IAM snapshots). Default read-only. */
  writable?: boolean;
  /** With `writable`: create the case file when it does not exist. */
  create?: boolean;
  threads?: number;
}

/** An open case file. Close it when done: DuckDB allows one writer or many readers at a time. */
export class Case {
  private constructor(
    readonly database: CaseDatabase,
    readonly sandboxed: boolean,
  ) {}

  static async open(path: string, options: OpenOptions = {}): Promise<Case> {
    const open: OpenCaseOptions = { readOnly: !options.writable };
    if (options.sandbox) open.sandbox = true;
    if (options.writable && options.create) open.create = true;
    if (options.threads !== undefined) open.threads = options.threads;
    return new Case(await CaseDatabase.open(path, open), options.sandbox === true);
  }

  get path(): string {
    return this.database.path;
  }

  /**
   * Runs SQL with `$name` parameters and returns all rows as plain values, typed as `T` (the
   * caller vouches for the shape). On a sandboxed case the SQL must be one read-only statement:
   * anything else is a `SqlRefusedError`, and a query DuckDB rejects a `SqlFailedError`.
   */
  async sql<T = Row>(sql: string, params: SqlParams = {}): Promise<QueryResult<T>> {
    const prepared = await this.prepare(sql, params);
    try {
      const reader = await prepared.runAndReadAll().catch((e: Error) => {
        throw this.sandboxed ? describeSqlError(e, sql) : e;
      });
      const columns = reader.columnNames();
      const types = reader.columnTypes();
      const rows = reader.getRowObjectsJS().map((r) => plainRow(r, types, columns)) as T[];
      return { rows, columns, types: kindsOf(columns, types), sql, params };
    } finally {
      prepared.destroySync();
    }
  }

  /**
   * Streams a large result in pages of plain rows (DuckDB's chunks, about 2,048 rows each)
   * without holding it all in memory.
   */
  async *stream<T = Row>(sql: string, params: SqlParams = {}): AsyncGenerator<T[]> {
    yield* (await this.pages<T>(sql, params)).pages;
  }

  /** Like {@link stream}, with the result's columns and their kinds known before the first page. */
  async pages<T = Row>(
    sql: string,
    params: SqlParams = {},
  ): Promise<{ columns: string[]; types: ColumnKinds; pages: AsyncGenerator<T[]> }> {
    const result = await this.streamResult(sql, params);
    const columns = result.columnNames();
    const types = result.columnTypes();
    async function* pages(): AsyncGenerator<T[]> {
      for await (const page of result.yieldRowObjectJs()) {
        yield page.map((r) => plainRow(r, types, columns)) as T[];
      }
    }
    return { columns, types: kindsOf(columns, types), pages: pages() };
  }

  /**
   * The result of a query as an Arrow table, built column by column from DuckDB's chunks (no
   * row objects): times become `Timestamp<ms, UTC>`, counts `Int32` (or `Float64` when large),
   * lists of strings `List<Utf8>`, JSON and other structures JSON text.
   */
  async arrow(sql: string, params: SqlParams = {}): Promise<Table> {
    const result = await this.streamResult(sql, params);
    const columns = result.columnNames();
    const types = result.columnTypes();
    const kinds = kindsOf(columns, types);
    const values: unknown[][] = columns.map(() => []);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const converted = chunk.convertColumns(JSDuckDBValueConverter);
      converted.forEach((column, i) => {
        const target = values[i]!;
        const json = kinds[columns[i]!] === "json" && types[i]!.alias === "JSON";
        for (const v of column) target.push(json && typeof v === "string" ? parseJson(v) : v);
      });
    }
    return arrowFromColumns(columns, kinds, values);
  }

  /**
   * The DuckDB result of a query, streaming, for callers that consume chunks themselves (the
   * Parquet writer). Same rules as {@link sql} on a sandboxed case.
   */
  async streamResult(sql: string, params: SqlParams = {}): Promise<DuckDBResult> {
    const prepared = await this.prepare(sql, params);
    try {
      return await prepared.stream().catch((e: Error) => {
        throw this.sandboxed ? describeSqlError(e, sql) : e;
      });
    } finally {
      prepared.destroySync();
    }
  }

  private async prepare(sql: string, params: SqlParams): Promise<DuckDBPreparedStatement> {
    const connection = this.database.connection;
    let prepared: DuckDBPreparedStatement;
    if (this.sandboxed) {
      try {
        const statements = await connection.extractStatements(sql);
        if (statements.count !== 1) refuseSeveral(statements.count, sql);
        prepared = await statements.prepare(0);
      } catch (e) {
        if (e instanceof SqlRefusedError) throw e;
        throw describeSqlError(e as Error, sql);
      }
      try {
        checkStatementType(prepared.statementType, sql);
      } catch (e) {
        prepared.destroySync();
        throw e;
      }
    } else {
      prepared = await connection.prepare(sql);
    }
    try {
      checkParams(prepared, params);
      prepared.bind(bind(params));
    } catch (e) {
      prepared.destroySync();
      throw e;
    }
    return prepared;
  }

  close(): void {
    this.database.close();
  }
}

export async function openCase(path: string, options: OpenOptions = {}): Promise<Case> {
  return Case.open(path, options);
}

/** Refuses a parameter the statement does not use: a value given for nothing is a mistake. */
function checkParams(prepared: DuckDBPreparedStatement, params: SqlParams): void {
  const names = new Set<string>();
  for (let i = 1; i <= prepared.parameterCount; i++) names.add(prepared.parameterName(i));
  for (const name of Object.keys(params)) {
    if (!names.has(name)) {
      const has = [...names].map((n) => `$${n}`).join(", ");
      throw new QueryOptionsError(
        "value-invalid",
        "params",
        name,
        `the query has no parameter $${name}` + (has ? ` (it has ${has})` : " (it has none)"),
      );
    }
  }
}

function bind(params: SqlParams): Record<string, DuckDBValue> {
  const out: Record<string, DuckDBValue> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v instanceof Date) out[k] = v.toISOString();
    else if (Array.isArray(v) && v.every((x) => typeof x === "string")) out[k] = listValue(v);
    else out[k] = v as DuckDBValue;
  }
  return out;
}

function parseJson(text: string): RowValue {
  try {
    return JSON.parse(text) as RowValue;
  } catch {
    return text;
  }
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

function plainRow(row: Record<string, unknown>, types: DuckDBType[], columns: string[]): Row {
  const out: Row = {};
  columns.forEach((k, i) => {
    const v = row[k];
    out[k] = types[i]!.alias === "JSON" && typeof v === "string" ? parseJson(v) : plainValue(v);
  });
  return out;
}
