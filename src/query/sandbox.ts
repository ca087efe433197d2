/**
 * Analyst SQL on a sandboxed case: one read-only statement at a time, and nothing but the case
 * file's own tables.
 *
 * Two layers. DuckDB itself is locked down when the case is opened with `sandbox` (see
 * `store/database.ts`): no file access but the case file (`read_csv`, `ATTACH`, `COPY ... TO`,
 * `EXPORT` fail with a permission error), no extension loading, configuration frozen. On top of
 * that, each statement's type is checked before it runs, so that what DuckDB would accept but a
 * read-only question has no business doing (`LOAD json` of a built-in extension succeeds, a
 * `CREATE TEMP TABLE` succeeds on a read-only file) is refused too, with a message that says why.
 */
import { StatementType } from "@duckdb/node-api";

/** Why a statement was refused. */
export const SQL_REFUSAL_REASONS = [
  "file-access",
  "statement-type",
  "configuration",
  "several-statements",
  "write",
] as const;
export type SqlRefusalReason = (typeof SQL_REFUSAL_REASONS)[number];

/** Analyst SQL the sandbox does not run. `sql` is the statement as given. */
export class SqlRefusedError extends Error {
  override readonly name = "SqlRefusedError";
  readonly code = "sql-refused";
  constructor(
    readonly reason: SqlRefusalReason,
    readonly sql: string,
    message: string,
  ) {
    super(message);
  }
}

/** Analyst SQL that DuckDB could not run (a typo, an unknown column): its first message line. */
export class SqlFailedError extends Error {
  override readonly name = "SqlFailedError";
  readonly code = "sql-failed";
  constructor(
    readonly sql: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Statements that only read: queries (SHOW, DESCRIBE and SUMMARIZE are queries too), their plans,
 * and table-function calls. PRAGMA is left out: some pragmas change the connection's settings
 * (`PRAGMA enable_profiling` gets past the locked configuration), and the ones that report have
 * table functions (`CALL pragma_database_size()`, `SHOW TABLES`).
 */
const READ_ONLY: ReadonlySet<StatementType> = new Set([
  StatementType.SELECT,
  StatementType.EXPLAIN,
  StatementType.CALL,
]);

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(StatementType)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => [v as number, k]),
);

const SANDBOX_RULE =
  "trailbook sql runs one read-only query over the case file's tables and nothing else: no " +
  "other file, ATTACH, COPY ... TO, EXPORT, INSTALL/LOAD or change of settings (write results " +
  "with --out).";

/** Refuses a statement whose type is not a read-only query. */
export function checkStatementType(type: StatementType, sql: string): void {
  if (READ_ONLY.has(type)) return;
  // DuckDB classifies INSTALL as a LOAD statement.
  const name = type === StatementType.LOAD ? "INSTALL/LOAD" : (TYPE_NAMES[type] ?? `type ${type}`);
  const reason: SqlRefusalReason =
    type === StatementType.SET || type === StatementType.VARIABLE_SET
      ? "configuration"
      : type === StatementType.ATTACH ||
          type === StatementType.DETACH ||
          type === StatementType.COPY ||
          type === StatementType.EXPORT ||
          type === StatementType.LOAD ||
          type === StatementType.EXTENSION
        ? "file-access"
        : type === StatementType.TRANSACTION || type === StatementType.PRAGMA
          ? "statement-type"
          : "write";
  throw new SqlRefusedError(reason, sql, `query refused (${name} statement). ${SANDBOX_RULE}`);
}

/** Refuses a text holding more than one statement. */
export function refuseSeveral(count: number, sql: string): never {
  throw new SqlRefusedError(
    "several-statements",
    sql,
    `query refused (${count} statements): run one query at a time. ${SANDBOX_RULE}`,
  );
}

// A table name that is really a file path: DuckDB reads `FROM 'x.csv'` as a file unless file
// access is off, in which case it reports a missing table.
const PATH_AS_TABLE =
  /Table with name (\S*(?:\/|\\|\.(?:csv|tsv|json|jsonl|ndjson|parquet|gz|txt))\S*) does not exist/i;

/** A DuckDB error on analyst SQL, as the refusal or failure a user reads. */
export function describeSqlError(error: Error, sql: string): SqlRefusedError | SqlFailedError {
  const message = error.message;
  const first = message.split("\n")[0]!.trim();
  if (/Permission Error|disabled (?:by|through) configuration/i.test(message)) {
    return new SqlRefusedError("file-access", sql, `query refused: ${first}. ${SANDBOX_RULE}`);
  }
  if (/configuration has been locked/i.test(message)) {
    return new SqlRefusedError("configuration", sql, `query refused: ${first}. ${SANDBOX_RULE}`);
  }
  if (/read-only mode|attached in read-only/i.test(message)) {
    return new SqlRefusedError("write", sql, `query refused: ${first}. ${SANDBOX_RULE}`);
  }
  const path = PATH_AS_TABLE.exec(message);
  if (path) {
    return new SqlRefusedError(
      "file-access",
      sql,
      `query refused: ${path[1]} is not a table of the case, and files cannot be read. ${SANDBOX_RULE}`,
    );
  }
  return new SqlFailedError(sql, `query failed: ${first}`);
}
