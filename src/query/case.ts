/**
 * An opened case file, for asking questions: SQL with bound parameters in, typed rows out, and
 * every result carrying the SQL and parameters that produced it so a report can show its work.
 */
import {
  JSDuckDBValueConverter,
  StatementType,
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
import { RowReader, parseJsonText, planRows, plainValue } from "./result-rows.js";

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
    const { result, reader, columns, types } = await this.rowsResult(sql, params, false);
    const rows: Row[] = [];
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      reader.read(chunk, rows);
    }
    return { rows: rows as T[], columns, types: kindsOf(columns, types), sql, params };
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
    const { result, reader, columns, types } = await this.rowsResult(sql, params, true);
    async function* pages(): AsyncGenerator<T[]> {
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) return;
        const page: Row[] = [];
        reader.read(chunk, page);
        yield page as T[];
      }
    }
    return { columns, types: kindsOf(columns, types), pages: pages() };
  }

  /**
   * Runs a statement for its rows: wrapped so that its text columns come packed (see
   * result-rows.ts) when that is possible, as it is otherwise. The columns and their types are
   * the statement's own either way.
   */
  private async rowsResult(
    sql: string,
    params: SqlParams,
    streaming: boolean,
  ): Promise<{ result: DuckDBResult; reader: RowReader; columns: string[]; types: DuckDBType[] }> {
    const prepared = await this.prepare(sql, params);
    const execute = (p: DuckDBPreparedStatement): Promise<DuckDBResult> =>
      (streaming ? p.stream() : p.run()).catch((e: Error) => {
        throw this.sandboxed ? describeSqlError(e, sql) : e;
      });
    try {
      const plan = planRows(prepared, sql);
      const wrapped =
        plan.wrapped === null ? null : await this.prepareWrapped(plan.wrapped, params);
      if (wrapped === null) {
        const result = await execute(prepared);
        const columns = result.columnNames();
        const types = result.columnTypes();
        return { result, reader: new RowReader(columns, types, null), columns, types };
      }
      try {
        const result = await execute(wrapped);
        const resultTypes = result.columnTypes();
        // The statement's types: packed columns had a definite type when it was prepared; the
        // others are the wrapped result's, in order after the packed text.
        let direct = 1;
        const types = plan.names.map((_, i) =>
          plan.packed.includes(i) ? prepared.columnType(i) : resultTypes[direct++]!,
        );
        return {
          result,
          reader: new RowReader(plan.names, resultTypes, plan.packed),
          columns: plan.names,
          types,
        };
      } finally {
        wrapped.destroySync();
      }
    } finally {
      prepared.destroySync();
    }
  }

  /**
   * Prepares the packing query, or returns null when DuckDB does not take the statement as a
   * subquery (a trailing `;`, a statement that is not a plain query): the statement then runs as
   * it is, and its rows are the same, read more slowly.
   */
  private async prepareWrapped(
    wrapped: string,
    params: SqlParams,
  ): Promise<DuckDBPreparedStatement | null> {
    let prepared: DuckDBPreparedStatement;
    try {
      if (this.sandboxed) {
        const statements = await this.database.connection.extractStatements(wrapped);
        if (statements.count !== 1) return null;
        prepared = await statements.prepare(0);
      } else {
        prepared = await this.database.connection.prepare(wrapped);
      }
    } catch {
      return null;
    }
    if (prepared.statementType !== StatementType.SELECT) {
      prepared.destroySync();
      return null;
    }
    prepared.bind(bind(params));
    return prepared;
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
        for (const v of column) target.push(json && typeof v === "string" ? parseJsonText(v) : v);
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

export { plainValue };
