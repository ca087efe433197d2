/**
 * Opening a case file: one DuckDB database, configured so that nothing is ever downloaded, times
 * are UTC, and (for analyst SQL) nothing outside the case file can be read or written.
 */
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ORIGINAL_RECORD_SQL, registerRecordFunctions } from "./record.js";
import { SCHEMA_SQL, SCHEMA_VERSION } from "./schema.js";
import { upgradeCase } from "./upgrade.js";

export interface OpenCaseOptions {
  /** Open without the right to change anything (the default for queries). */
  readOnly?: boolean;
  /**
   * Lock the connection down for untrusted SQL: no access to any file but the case file, no
   * extension loading, configuration frozen. Implies nothing about readOnly.
   */
  sandbox?: boolean;
  /** DuckDB worker threads; DuckDB's default is the number of cores. */
  threads?: number;
  /** DuckDB's memory limit, e.g. "2GB". */
  memoryLimit?: string;
  /** Create the case file (and its schema) when it does not exist. */
  create?: boolean;
}

/** The DuckDB storage format of case files this package creates. */
export const CASE_STORAGE_VERSION = "v1.5.0";

/** An error a user can act on when opening a case file. */
export class CaseFileError extends Error {
  constructor(
    readonly code:
      | "case-locked"
      | "case-not-found"
      | "case-unreadable"
      | "case-newer-schema"
      | "case-older-schema",
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = "CaseFileError";
  }
}

/** A case file opened by this process. `close()` may be called more than once. */
export class CaseDatabase {
  private closed = false;
  private readonly extraConnections: DuckDBConnection[] = [];

  private constructor(
    readonly path: string,
    readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly readOnly: boolean,
  ) {}

  static async open(path: string, options: OpenCaseOptions = {}): Promise<CaseDatabase> {
    const readOnly = options.readOnly ?? false;
    const config: Record<string, string> = {
      // Offline by construction: DuckDB never fetches or installs an extension.
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
      access_mode: readOnly ? "READ_ONLY" : "READ_WRITE",
    };
    if (options.threads !== undefined) config.threads = String(options.threads);
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    const { existsSync } = await import("node:fs");
    const exists = existsSync(path);
    if ((readOnly || !options.create) && !exists) {
      throw new CaseFileError("case-not-found", path, `no case file at ${path}`);
    }
    // A new case file uses DuckDB 1.5's storage format: measured on the benchmark, its string
    // compression made the load about 12% faster and the events table 9% smaller than the
    // default format (kept readable by DuckDB 0.10). Only this package's DuckDB opens case files.
    if (!exists) config.storage_compatibility_version = CASE_STORAGE_VERSION;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (e) {
      throw describeOpenError(path, e as Error);
    }
    const connection = await instance.connect();
    const db = new CaseDatabase(path, instance, connection, readOnly);
    try {
      await connection.run("SET TimeZone = 'UTC'");
      // Before the schema: upgrading an older case file reads records back with it.
      registerRecordFunctions(connection);
      if (!readOnly) await db.ensureSchema();
      else await db.checkSchema();
      await connection.run(RECORD_VIEW_SQL);
      if (options.sandbox) {
        await connection.run("SET enable_external_access = false");
        await connection.run("SET lock_configuration = true");
      }
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  private async ensureSchema(): Promise<void> {
    const version = await this.schemaVersion();
    await this.connection.run(SCHEMA_SQL);
    await this.connection.run(
      "INSERT INTO case_meta VALUES ('schema_version', $v) ON CONFLICT DO NOTHING",
      { v: String(SCHEMA_VERSION) },
    );
    if (version !== null && version < SCHEMA_VERSION) {
      await upgradeCase(this.connection, version, SCHEMA_VERSION);
    }
  }

  private async checkSchema(): Promise<void> {
    const version = await this.schemaVersion();
    if (version !== null && version < SCHEMA_VERSION) {
      // Read-only, it cannot be upgraded; read as it is, it would give other answers than a
      // case loaded today (schema.ts says what changed).
      throw new CaseFileError(
        "case-older-schema",
        this.path,
        `${this.path} was written by an older trailbook (schema ${version}; this one reads ` +
          `${SCHEMA_VERSION}) and is upgraded the first time it is opened for writing: run ` +
          `\`trailbook ingest <its evidence> --db ${this.path}\` once (nothing already loaded is ` +
          "loaded again), or open it with openCase(path, { writable: true })",
      );
    }
  }

  /**
   * The schema version the case file records; NULL for a file without one (a new file). A newer
   * version than this trailbook reads is refused here, opened for writing or not.
   */
  private async schemaVersion(): Promise<number | null> {
    const tables = await this.connection.runAndReadAll(
      "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'case_meta' AND NOT temporary",
    );
    if (Number(tables.getRows()[0]![0]) === 0) return null;
    const reader = await this.connection.runAndReadAll(
      "SELECT value FROM case_meta WHERE key = 'schema_version'",
    );
    const version = Number(reader.getRows()[0]?.[0] ?? SCHEMA_VERSION);
    if (version > SCHEMA_VERSION) {
      throw new CaseFileError(
        "case-newer-schema",
        this.path,
        `${this.path} was written by a newer trailbook (schema ${version}; this one reads ${SCHEMA_VERSION})`,
      );
    }
    return version;
  }

  /**
   * One more connection to the case, in UTC like the first, closed with the case. Statements on
   * different connections run at the same time, each on its own thread, whatever the DuckDB
   * `threads` setting; the ingest opens one for each loader past the first (store/ingest.ts).
   */
  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    this.extraConnections.push(connection);
    await connection.run("SET TimeZone = 'UTC'");
    return connection;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.extraConnections) c.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * Every event with its original record, read back from the kept file bytes on demand
 * (ORIGINAL_RECORD_SQL in `record.ts`).
 * Measured on the sample case (13,652 events, 10,000 of them in one 1.3 MB file), a full scan
 * (`SELECT sum(length(record::VARCHAR)) FROM event_records`) in a new process: 7.6-19 s when the
 * bytes went with every row (the spread is the load on two shared cores), 0.6 s this way, and
 * 0.1 s for a second scan while the files stay cached.
 */
const RECORD_VIEW_SQL = `
CREATE OR REPLACE TEMP VIEW event_records AS
SELECT e.*, ${ORIGINAL_RECORD_SQL}::JSON AS record
FROM events e
JOIN source_files f USING (file_id)
JOIN source_contents c ON c.sha256 = f.sha256`;

function describeOpenError(path: string, error: Error): Error {
  const message = error.message;
  if (/Could not set lock|Conflicting lock/i.test(message)) {
    const pid = /PID (\d+)/.exec(message)?.[1];
    return new CaseFileError(
      "case-locked",
      path,
      `${path} is open in another process${pid ? ` (PID ${pid})` : ""}: DuckDB allows one ` +
        "writer or several readers, not both. Close the other session (a notebook kernel, " +
        "another trailbook command) and try again.",
    );
  }
  if (/not a valid DuckDB database|Unable to open|IO Error/i.test(message)) {
    return new CaseFileError("case-unreadable", path, `${path} cannot be opened: ${message}`);
  }
  return error;
}
