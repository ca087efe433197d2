/** Runs the baseline's statements on a case and keeps each one, so the result can show its work. */
import { DuckDBListValue } from "@duckdb/node-api";
import type { Case, SqlParams } from "../query/case.js";
import type { ExecutedSql } from "./finding.js";

export class SqlRunner {
  readonly executed: ExecutedSql[] = [];

  constructor(private readonly c: Case) {}

  async rows<T>(label: string, sql: string, params: SqlParams = {}): Promise<T[]> {
    const used = usedParams(sql, params);
    const shown: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(used))
      shown[k] = v instanceof DuckDBListValue ? v.items : v;
    const start = performance.now();
    const rows = (await this.c.sql<T>(sql, used)).rows;
    this.executed.push({ label, sql, params: shown, ms: Math.round(performance.now() - start) });
    return rows;
  }

  async run(label: string, sql: string, params: SqlParams = {}): Promise<void> {
    await this.rows(label, sql, params);
  }
}

/** DuckDB rejects parameters a statement does not use: bind only those it names. */
function usedParams(sql: string, params: SqlParams): SqlParams {
  const out: SqlParams = {};
  for (const [k, v] of Object.entries(params)) {
    if (new RegExp(`\\$${k}\\b`).test(sql)) out[k] = v;
  }
  return out;
}
