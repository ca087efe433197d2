/**
 * Loading evidence into a case file.
 *
 * Reader workers decompress, classify and cut files into record lines (archive/); this module
 * loads each batch they produce into DuckDB and commits batches in units: a
 * unit's events, its provenance rows and its kept file bytes commit together or not at all. A
 * process killed mid-load therefore leaves only whole files behind, and the next run, which
 * recognises loaded files by content hash, picks up the rest.
 *
 * How the two cores are shared was chosen by measurement on the benchmark archive (bench/):
 * DuckDB turns the record lines into rows on one thread, and the readers take the other cores.
 * A second DuckDB thread made the load no faster (its insert is close to serial) but burned
 * about 75% more CPU, which the readers then lacked.
 */
import { rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { listValue, type DuckDBConnection } from "@duckdb/node-api";
import { discoverFiles } from "../archive/discover.js";
import type { Batch, FileResult, KnownContent } from "../archive/evidence-reader.js";
import type { FileKind, FileStatus } from "../archive/kinds.js";
import { readEvidence } from "../archive/reader-pool.js";
import { CaseDatabase } from "./database.js";
import {
  INSERT_INSIGHTS_SQL,
  INSERT_SET_ASIDE_SQL,
  insertEventsSql,
  leftoversSql,
} from "./load-sql.js";
import { appendFiles, appendSetAside, type FileCounts } from "./provenance-rows.js";
import { defaultScratchBase, makeScratch } from "./scratch.js";
import { TOOL_VERSION } from "./version.js";

export interface IngestOptions {
  /** Files and folders to load; folders are read recursively, bundles opened in memory. */
  inputs: string[];
  /** The case file; created when missing. */
  db: string;
  /** Reader worker threads (default: one core left for DuckDB, at most two readers). */
  workers?: number;
  /** DuckDB threads (default 1: see the module comment). */
  threads?: number;
  /**
   * A batch closes when its chunk of record lines reaches this size (default 64 MiB). Chunks
   * wait in the scratch folder: the one being loaded, a few queued, one per worker being written.
   */
  chunkBytes?: number;
  /**
   * Where the loader makes its scratch folder (default: /dev/shm where it exists, else beside
   * the case file; see scratch.ts).
   */
  scratchDir?: string;
  /** DuckDB memory limit (default 1GB). */
  memoryLimit?: string;
  /**
   * Records loaded per transaction (default 400,000). Fewer means more, slower commits; a process
   * killed mid-load loses at most the transaction in flight.
   */
  commitRows?: number;
  /** Called after every batch the database has read (committed or not yet). */
  onProgress?: (progress: IngestProgress) => void;
}

/** How far a run has got: what the database has read so far, for a progress display. */
export interface IngestProgress {
  /** Files read (bundle members included, files already in the case too). */
  files: number;
  /** Records read from them. */
  records: number;
  /** Bytes of the files on disk recorded (files already in the case are not counted). */
  bytes: number;
  /** Files whose unit has committed: these are in the case even if the run is cut short. */
  committedFiles: number;
  elapsedSeconds: number;
}

export interface QuarantinedFile {
  fileId: number;
  path: string;
  member: string | null;
  code: string;
  reason: string;
}

/** What one run did. Counts add up: see `checks`. */
export interface IngestSummary {
  runId: number;
  db: string;
  inputs: string[];
  files: {
    /** Files recorded by this run (including bundle members). */
    recorded: number;
    byStatus: Record<FileStatus, number>;
    byKind: Record<string, Partial<Record<FileStatus, number>>>;
    /** Files seen again, with the same path and content as before: nothing recorded. */
    alreadyInCase: number;
  };
  quarantined: QuarantinedFile[];
  records: {
    /** Records found in the loaded files of this run. */
    found: number;
    /** CloudTrail events among them. */
    events: number;
    /** Events added to the case. */
    loaded: number;
    /** Events whose eventID the case already had. */
    duplicates: number;
    insights: number;
    setAside: number;
  };
  digests: number;
  /** Bytes of the files read. */
  bytesRead: number;
  elapsedSeconds: number;
  /**
   * Where the loader's time went, in seconds: waiting for the readers, DuckDB reading batches
   * into rows, sorting out records that did not become events, and committing (duplicates,
   * provenance, the write itself). The rest of `elapsedSeconds` is opening and the final
   * checkpoint.
   */
  phases: { waiting: number; inserting: number; leftovers: number; committing: number };
  /** Whether every count adds up (records.found = events + insights + setAside, etc.). */
  checks: { recordsAddUp: boolean; eventsAddUp: boolean };
}

export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const cores = availableParallelism();
  const dbPath = resolve(options.db);
  const db = await CaseDatabase.open(dbPath, {
    create: true,
    threads: options.threads ?? 1,
    memoryLimit: options.memoryLimit ?? "1GB",
  });
  let scratch: string | null = null;
  try {
    const c = db.connection;
    // Order does not matter to a case file; letting DuckDB drop it halves load time and memory.
    await c.run("SET preserve_insertion_order = false");
    scratch = await makeScratch(resolve(options.scratchDir ?? defaultScratchBase(dbPath)));

    const runId = await nextId(c, "SELECT max(run_id) FROM ingest_runs");
    const inputs = options.inputs.map((p) => resolve(p));
    await c.run(
      "INSERT INTO ingest_runs (run_id, started_at, inputs, tool_version) VALUES ($1, now(), $2, $3)",
      [runId, listValue(inputs), TOOL_VERSION],
    );
    const known = await knownContent(c);
    const storedContent = new Set(known.keys());
    const firstFileId = await nextId(c, "SELECT max(file_id) FROM source_files");

    const summary = emptySummary(runId, dbPath, inputs);
    const batches = readEvidence(discoverFiles(inputs), {
      workers: options.workers ?? Math.max(1, Math.min(cores - 1, 2)),
      chunkDir: scratch,
      chunkBytes: options.chunkBytes ?? 64 << 20,
      known,
      firstFileId,
    });
    const unit = new CommitUnit(c, runId, storedContent, summary, options.commitRows ?? UNIT_ROWS);
    const progress: IngestProgress = {
      files: 0,
      records: 0,
      bytes: 0,
      committedFiles: 0,
      elapsedSeconds: 0,
    };
    let waitFrom = performance.now();
    for await (const batch of batches) {
      summary.phases.waiting += (performance.now() - waitFrom) / 1000;
      await unit.add(batch);
      progress.committedFiles = summary.files.recorded + summary.files.alreadyInCase;
      progress.files += batch.files.length + batch.alreadyInCase;
      for (const f of batch.files) {
        progress.records += f.recordCount;
        if (f.parentFileId === null) progress.bytes += f.size;
      }
      progress.elapsedSeconds = (performance.now() - started) / 1000;
      options.onProgress?.({ ...progress });
      waitFrom = performance.now();
    }
    await unit.commit();
    summary.elapsedSeconds = (performance.now() - started) / 1000;
    const r = summary.records;
    summary.checks = {
      recordsAddUp: r.found === r.events + r.insights + r.setAside,
      eventsAddUp: r.events === r.loaded + r.duplicates,
    };
    await c.run(
      "UPDATE ingest_runs SET finished_at = now(), summary = $1::JSON WHERE run_id = $2",
      [JSON.stringify(summary), runId],
    );
    await c.run("CHECKPOINT");
    summary.elapsedSeconds = (performance.now() - started) / 1000;
    return summary;
  } finally {
    db.close();
    if (scratch) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function nextId(c: DuckDBConnection, sql: string): Promise<number> {
  const reader = await c.runAndReadAll(sql);
  const value = reader.getRows()[0]?.[0];
  return value === null || value === undefined ? 1 : Number(value) + 1;
}

async function knownContent(c: DuckDBConnection): Promise<KnownContent> {
  const reader = await c.runAndReadAll(
    "SELECT sha256, min(file_id) AS file_id, list(path || coalesce('!/' || member, '')) FROM source_files WHERE sha256 <> '' GROUP BY sha256",
  );
  const known: KnownContent = new Map();
  for (const [sha, fileId, places] of reader.getRows()) {
    const list = (places as { items: unknown[] }).items.map(String);
    known.set(String(sha), { fileId: Number(fileId), places: new Set(list) });
  }
  return known;
}

function emptySummary(runId: number, db: string, inputs: string[]): IngestSummary {
  return {
    runId,
    db,
    inputs,
    files: {
      recorded: 0,
      byStatus: { loaded: 0, skipped: 0, quarantined: 0 },
      byKind: {},
      alreadyInCase: 0,
    },
    quarantined: [],
    records: { found: 0, events: 0, loaded: 0, duplicates: 0, insights: 0, setAside: 0 },
    digests: 0,
    bytesRead: 0,
    elapsedSeconds: 0,
    phases: { waiting: 0, inserting: 0, leftovers: 0, committing: 0 },
    checks: { recordsAddUp: true, eventsAddUp: true },
  };
}

/**
 * Batches are committed in units of several, so that each transaction writes whole row groups
 * straight to the database file; small transactions went through the write-ahead log and were
 * written twice (measured: commits took half the load). A unit is also where duplicates are
 * resolved and provenance rows written, once per unit rather than once per batch.
 */
const UNIT_ROWS = 400_000;

class CommitUnit {
  private batches: Batch[] = [];
  private rows = 0;
  private open = false;
  /** What became of the records of the unit's files, by file id. */
  private counts = new Map<number, FileCounts>();
  /** Files found to hold a record that is not JSON, with the reason. */
  private invalid = new Map<number, string>();

  constructor(
    private readonly c: DuckDBConnection,
    private readonly runId: number,
    private readonly storedContent: Set<string>,
    private readonly summary: IngestSummary,
    private readonly unitRows: number,
  ) {}

  /**
   * Loads a batch and sorts out its records that did not become events; commits when the unit
   * is full. The batch's chunk is deleted once read: a record that is not JSON does not fail the
   * statement (see load-sql.ts), so no batch is ever read twice for the load itself.
   */
  async add(batch: Batch): Promise<void> {
    if (!this.open) {
      await this.c.run("BEGIN TRANSACTION");
      this.open = true;
    }
    this.batches.push(batch);
    this.rows += batch.lines;
    const chunk = batch.chunkPath;
    const withRecords = batch.files.filter((f) => f.status === "loaded" && f.recordCount > 0);
    for (const f of withRecords) {
      this.counts.set(f.fileId, { loaded: 0, duplicates: 0, insights: 0, setAside: 0 });
    }
    const phases = this.summary.phases;
    if (chunk !== null && batch.lines > 0) {
      let from = performance.now();
      await insertEvents(this.c, chunk);
      phases.inserting += (performance.now() - from) / 1000;
      from = performance.now();
      const inserted = await countByFile(
        this.c,
        "events",
        withRecords.map((f) => f.fileId),
      );
      const short = withRecords.filter(
        (f) => (inserted.get(f.fileId) ?? 0) < f.recordCount - f.setAside.length,
      );
      if (short.length > 0) {
        await sortLeftovers(this.c, chunk, short, inserted, this.counts, this.invalid);
      }
      phases.leftovers += (performance.now() - from) / 1000;
    }
    if (chunk !== null) await rm(chunk, { force: true });
    if (this.rows >= this.unitRows) await this.commit();
  }

  async commit(): Promise<void> {
    if (!this.open) return;
    const from = performance.now();
    const batches = this.batches;
    const files = batches.flatMap((b) => b.files);
    const withRecords = files.filter((f) => f.status === "loaded" && f.recordCount > 0);
    const { counts, invalid } = this;
    try {
      if (invalid.size > 0) {
        // A record that is not JSON makes its file broken: none of its records stay.
        const list = [...invalid.keys()].join(", ");
        for (const table of ["events", "insight_events", "set_aside_records"]) {
          await this.c.run(`DELETE FROM ${table} WHERE file_id IN (${list})`);
        }
      }
      if (withRecords.length > 0) {
        const ids = withRecords.map((f) => f.fileId);
        const duplicates = await removeDuplicates(this.c, ids);
        const loaded = await countByFile(this.c, "events", ids);
        for (const [id, n] of loaded) counts.get(id)!.loaded = n;
        for (const [id, n] of duplicates) counts.get(id)!.duplicates = n;
      }
      await appendSetAside(this.c, withRecords, counts, invalid);
      await appendFiles(this.c, this.runId, files, counts, invalid, this.storedContent);
      await this.c.run("COMMIT");
    } catch (e) {
      await this.c.run("ROLLBACK").catch(() => undefined);
      throw e;
    }
    this.summary.phases.committing += (performance.now() - from) / 1000;
    this.open = false;
    this.batches = [];
    this.rows = 0;
    this.counts = new Map();
    this.invalid = new Map();
    for (const b of batches) tally(this.summary, b, counts, invalid);
  }
}

async function insertEvents(c: DuckDBConnection, chunkPath: string): Promise<void> {
  // DuckDB pushes the event filter below the projection and so parses every record twice (once
  // to filter, once to project); with filter pushdown off, the load takes about half the CPU.
  await c.run("SET disabled_optimizers = 'filter_pushdown'");
  try {
    await c.run(insertEventsSql(chunkPath));
  } finally {
    await c.run("RESET disabled_optimizers").catch(() => undefined);
  }
}

async function countByFile(
  c: DuckDBConnection,
  table: string,
  ids: number[],
): Promise<Map<number, number>> {
  const min = Math.min(...ids);
  const max = Math.max(...ids);
  const reader = await c.runAndReadAll(
    `SELECT file_id, count(*) FROM ${table} WHERE file_id BETWEEN $1 AND $2 GROUP BY file_id`,
    [min, max],
  );
  const wanted = new Set(ids);
  const out = new Map<number, number>();
  for (const [id, n] of reader.getRows()) {
    if (wanted.has(Number(id))) out.set(Number(id), Number(n));
  }
  return out;
}

/**
 * Second look at files that produced fewer events than records: Insight events, records set
 * aside, and records that are not JSON. A line that is not JSON reads back as a row that names
 * no file, so such a record shows as a hole: the file's records not found anywhere.
 */
async function sortLeftovers(
  c: DuckDBConnection,
  chunkPath: string,
  files: FileResult[],
  inserted: Map<number, number>,
  counts: Map<number, FileCounts>,
  invalid: Map<number, string>,
): Promise<void> {
  const ids = files.map((f) => f.fileId);
  await c.run(leftoversSql(chunkPath, ids));
  await c.run(INSERT_INSIGHTS_SQL);
  await c.run(INSERT_SET_ASIDE_SQL);
  const reader = await c.runAndReadAll(
    "SELECT file_id, disposition, count(*) FROM load_leftovers GROUP BY ALL",
  );
  for (const [id, disposition, n] of reader.getRows()) {
    const entry = counts.get(Number(id))!;
    if (disposition === "insight") entry.insights = Number(n);
    else entry.setAside += Number(n);
  }
  for (const f of files) {
    const n = counts.get(f.fileId)!;
    const found = (inserted.get(f.fileId) ?? 0) + n.insights + n.setAside + f.setAside.length;
    if (found < f.recordCount) {
      const hole = await firstMissingRecord(c, f);
      invalid.set(f.fileId, `malformed JSON: record ${hole} is not valid JSON`);
    }
  }
  await c.run("DROP TABLE load_leftovers");
}

/** The first record of a file found neither among its events nor its leftovers. */
async function firstMissingRecord(c: DuckDBConnection, f: FileResult): Promise<number> {
  const reader = await c.runAndReadAll(
    `SELECT record_index FROM events WHERE file_id = $f
     UNION ALL SELECT record_index FROM load_leftovers WHERE file_id = $f`,
    { f: f.fileId },
  );
  const seen = new Set(reader.getRows().map(([i]) => Number(i)));
  for (const r of f.setAside) seen.add(r.index);
  let i = 0;
  while (seen.has(i)) i++;
  return i;
}

/**
 * Keeps the first copy of every eventID: copies already in the case from earlier batches or
 * runs, and repeats inside this batch, move to duplicate_events.
 */
async function removeDuplicates(c: DuckDBConnection, ids: number[]): Promise<Map<number, number>> {
  // The unit's files as a table: a join on it is cheap where an IN list of thousands is not.
  await c.run(
    "CREATE OR REPLACE TEMP TABLE load_unit AS SELECT unnest($ids::INTEGER[]) AS file_id",
    { ids: listValue(ids) },
  );
  await c.run(`CREATE OR REPLACE TEMP TABLE load_duplicates AS
WITH fresh AS (
  SELECT e.rowid AS rid, e.event_id, e.file_id, e.record_index
  FROM events e SEMI JOIN load_unit u ON e.file_id = u.file_id
  WHERE e.event_id IS NOT NULL
),
earlier AS (
  SELECT DISTINCT e.event_id FROM events e SEMI JOIN fresh f ON e.event_id = f.event_id
  WHERE e.file_id NOT IN (SELECT file_id FROM load_unit)
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY file_id, record_index) AS copy
  FROM fresh
)
SELECT rid, event_id, file_id, record_index FROM ranked
WHERE copy > 1 OR event_id IN (SELECT event_id FROM earlier)`);
  const reader = await c.runAndReadAll(
    "SELECT file_id, count(*) FROM load_duplicates GROUP BY file_id",
  );
  const out = new Map<number, number>();
  for (const [id, n] of reader.getRows()) out.set(Number(id), Number(n));
  if (out.size > 0) {
    await c.run(
      "INSERT INTO duplicate_events SELECT event_id, file_id, record_index FROM load_duplicates",
    );
    await c.run("DELETE FROM events WHERE rowid IN (SELECT rid FROM load_duplicates)");
  }
  await c.run("DROP TABLE load_duplicates");
  await c.run("DROP TABLE load_unit");
  return out;
}

function tally(
  summary: IngestSummary,
  batch: Batch,
  counts: Map<number, FileCounts>,
  invalid: Map<number, string>,
): void {
  summary.files.alreadyInCase += batch.alreadyInCase;
  for (const f of batch.files) {
    const bad = invalid.get(f.fileId);
    const status: FileStatus = bad ? "quarantined" : f.status;
    summary.files.recorded++;
    summary.files.byStatus[status]++;
    const kind = (summary.files.byKind[f.kind as FileKind] ??= {});
    kind[status] = (kind[status] ?? 0) + 1;
    summary.bytesRead += f.parentFileId === null ? f.size : 0;
    if (status === "quarantined") {
      summary.quarantined.push({
        fileId: f.fileId,
        path: f.path,
        member: f.member,
        code: bad ? "malformed-json" : (f.errorCode ?? "unknown"),
        reason: bad ?? f.error ?? "",
      });
      continue;
    }
    if (f.kind === "cloudtrail-digest") summary.digests++;
    const n = counts.get(f.fileId);
    if (!n) continue;
    summary.records.found += f.recordCount;
    summary.records.events += n.loaded + n.duplicates;
    summary.records.loaded += n.loaded;
    summary.records.duplicates += n.duplicates;
    summary.records.insights += n.insights;
    summary.records.setAside += n.setAside;
  }
}
