/**
 * Writing results to Parquet, with their types.
 *
 * Parquet is written by DuckDB, but never by the case's own connection when that connection runs
 * analyst SQL: a sandboxed case cannot write files, by design. So results go through a private
 * in-memory DuckDB instance that runs only this module's fixed statements: a SQL result's chunks
 * are appended there as they stream (types kept exactly), rows computed in JS are inserted with
 * the types their column kinds give, then `COPY ... TO` writes the file.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBResult } from "@duckdb/node-api";
import { rmSync } from "node:fs";
import { sqlTypeOfKind, inferKind, type ColumnKinds } from "./columns.js";
import { quoteIdentifier, quoteString } from "../store/sql.js";

async function withWriter<T>(run: (w: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    return await run(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function copyOut(w: DuckDBConnection, file: string): Promise<void> {
  // COPY replaces the file; a half-written one from an earlier failure must not linger.
  rmSync(file, { force: true });
  await w.run(`COPY trailbook_out TO ${quoteString(file)} (FORMAT parquet)`);
}

/** Streams a DuckDB result into a Parquet file; returns the number of rows written. */
export async function writeResultParquet(result: DuckDBResult, file: string): Promise<number> {
  const names = result.columnNames();
  const types = result.columnTypes();
  return withWriter(async (w) => {
    const columns = names.map((n, i) => `${quoteIdentifier(n)} ${types[i]!.toString()}`);
    await w.run(`CREATE TABLE trailbook_out (${columns.join(", ")})`);
    const appender = await w.createAppender("trailbook_out");
    let rows = 0;
    try {
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        appender.appendDataChunk(chunk);
        rows += chunk.rowCount;
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await copyOut(w, file);
    return rows;
  });
}

/**
 * Writes rows computed in JS to a Parquet file, each column typed by its kind (inferred from the
 * values when not given): times as TIMESTAMPTZ, counts as BIGINT, string lists as VARCHAR[],
 * structures as JSON. Returns the number of rows written.
 */
export async function writeRowsParquet(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  types: ColumnKinds,
  file: string,
): Promise<number> {
  return withWriter(async (w) => {
    const kinds = columns.map((c) => types[c] ?? inferKind(rows.map((r) => r[c])));
    const defs = columns.map((c, i) => `${quoteIdentifier(c)} ${sqlTypeOfKind(kinds[i]!)}`);
    await w.run(`CREATE TABLE trailbook_out (${defs.join(", ")})`);
    // One JSON document per batch, converted by DuckDB to the declared types: rows from JS are
    // the verdicts and summaries of a query (thousands, not millions).
    const BATCH = 1000;
    for (let start = 0; start < rows.length; start += BATCH) {
      const batch = rows.slice(start, start + BATCH).map((r) => columns.map((c) => r[c] ?? null));
      const select = columns.map((c, i) => {
        const v = `(j->${i})`;
        const kind = kinds[i]!;
        if (kind === "json") return `CASE WHEN json_type(${v}) = 'NULL' THEN NULL ELSE ${v} END`;
        if (kind === "string[]") return `CAST(${v} AS VARCHAR[])`;
        return `CAST(${v}->>'$' AS ${sqlTypeOfKind(kind)})`;
      });
      await w.run(
        `INSERT INTO trailbook_out SELECT ${select.join(", ")} FROM (SELECT unnest(json_extract($rows::JSON, '$[*]')) AS j)`,
        { rows: JSON.stringify(batch) },
      );
    }
    await copyOut(w, file);
    return rows.length;
  });
}
