/**
 * Loading evidence into a case file.
 *
 * Reader workers decompress, classify and cut files into record lines (archive/); this module
 * loads each batch they produce in one transaction: the batch's events, its provenance rows and
 * its kept file bytes commit together or not at all. A process killed mid-load therefore leaves
 * only whole files behind, and the next run, which recognises loaded files by content hash,
 * picks up the rest.
 */
import { mkdir, rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { listValue, type DuckDBConnection } from "@duckdb/node-api";
import { discoverFiles, parseS3Location } from "../archive/discover.js";
import type { Batch, FileResult, KnownContent } from "../archive/evidence-reader.js";
import type { FileKind, FileStatus } from "../archive/kinds.js";
import { readEvidence } from "../archive/reader-pool.js";
import { CaseDatabase } from "./database.js";
import { appendDigest } from "./digest.js";
import {
  INSERT_INSIGHTS_SQL,
  INSERT_SET_ASIDE_SQL,
  insertEventsSql,
  leftoversSql,
} from "./load-sql.js";
import { TOOL_VERSION } from "./version.js";

export interface IngestOptions {
  /** Files and folders to load; folders are read recursively, bundles opened in memory. */
  inputs: string[];
  /** The case file; created when missing. */
  db: string;
  /** Reader worker threads (default: the number of cores). */
  workers?: number;
  /** DuckDB threads (default: the number of cores). */
  threads?: number;
  /** A batch closes when its chunk of record lines reaches this size (default 96 MiB). */
  chunkBytes?: number;
  /** Folder for the chunks (default: beside the case file); about workers x chunkBytes used. */
  scratchDir?: string;
  /** DuckDB memory limit (default 1GB). */
  memoryLimit?: string;
  /** Called after every committed batch. */
  onProgress?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  files: number;
  events: number;
  bytes: number;
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
  /** Whether every count adds up (records.found = events + insights + setAside, etc.). */
  checks: { recordsAddUp: boolean; eventsAddUp: boolean };
}

interface FileCounts {
  loaded: number;
  duplicates: number;
  insights: number;
  setAside: number;
}

export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const cores = availableParallelism();
  const dbPath = resolve(options.db);
  const db = await CaseDatabase.open(dbPath, {
    create: true,
    threads: options.threads ?? cores,
    memoryLimit: options.memoryLimit ?? "1GB",
  });
  const scratch = resolve(
    options.scratchDir ?? join(dirname(dbPath), `.${basename(dbPath)}.ingest`),
  );
  try {
    const c = db.connection;
    // Order does not matter to a case file; letting DuckDB drop it halves load time and memory.
    await c.run("SET preserve_insertion_order = false");
    if (process.env.TB_CKPT) await c.run(`SET checkpoint_threshold = '${process.env.TB_CKPT}'`);
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });

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
      workers: options.workers ?? cores,
      chunkDir: scratch,
      chunkBytes: options.chunkBytes ?? 96 << 20,
      known,
      firstFileId,
    });
    for await (const batch of batches) {
      await loadBatch(c, runId, batch, storedContent, summary);
      if (batch.chunkPath) await rm(batch.chunkPath, { force: true });
      options.onProgress?.({
        files: summary.files.recorded + summary.files.alreadyInCase,
        events: summary.records.loaded,
        bytes: summary.bytesRead,
        elapsedSeconds: (performance.now() - started) / 1000,
      });
    }
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
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
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
    checks: { recordsAddUp: true, eventsAddUp: true },
  };
}

async function loadBatch(
  c: DuckDBConnection,
  runId: number,
  batch: Batch,
  storedContent: Set<string>,
  summary: IngestSummary,
): Promise<void> {
  const withRecords = batch.files.filter((f) => f.status === "loaded" && f.recordCount > 0);
  const counts = new Map<number, FileCounts>();
  const invalid = new Map<number, string>();
  for (const f of withRecords) {
    counts.set(f.fileId, { loaded: 0, duplicates: 0, insights: 0, setAside: 0 });
  }
  await c.run("BEGIN TRANSACTION");
  try {
    if (batch.chunkPath && withRecords.length > 0) {
      await insertEvents(c, batch.chunkPath);
      const ids = withRecords.map((f) => f.fileId);
      const inserted = await countByFile(c, "events", ids);
      const short = withRecords.filter(
        (f) => (inserted.get(f.fileId) ?? 0) < f.recordCount - f.setAside.length,
      );
      if (short.length > 0) {
        await sortLeftovers(c, batch.chunkPath, short, counts, invalid);
      }
      if (invalid.size > 0) {
        // A record that is not JSON makes its file broken: none of its records stay.
        const list = [...invalid.keys()].join(", ");
        for (const table of ["events", "insight_events", "set_aside_records"]) {
          await c.run(`DELETE FROM ${table} WHERE file_id IN (${list})`);
        }
      }
      const duplicates = await removeDuplicates(c, ids);
      const loaded = await countByFile(c, "events", ids);
      for (const [id, n] of loaded) counts.get(id)!.loaded = n;
      for (const [id, n] of duplicates) counts.get(id)!.duplicates = n;
    }
    await appendSetAside(c, withRecords, counts, invalid);
    await appendFiles(c, runId, batch.files, counts, invalid, storedContent);
    await c.run("COMMIT");
  } catch (e) {
    await c.run("ROLLBACK").catch(() => undefined);
    throw e;
  }
  tally(summary, batch, counts, invalid);
}

/**
 * Inserts the chunk's events. A record that is not JSON fails the fast statement; the batch is
 * then re-read tolerantly, and the files holding such records are found and removed afterwards.
 */
async function insertEvents(c: DuckDBConnection, chunkPath: string): Promise<void> {
  // It must be the transaction's first statement: a failed statement aborts the transaction.
  try {
    await c.run(insertEventsSql(chunkPath, false));
  } catch (e) {
    if (!/JSON/i.test((e as Error).message)) throw e;
    await c.run("ROLLBACK");
    await c.run("BEGIN TRANSACTION");
    await c.run(insertEventsSql(chunkPath, true));
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

/** Second look at files that produced fewer events than records: insights, set-aside, broken. */
async function sortLeftovers(
  c: DuckDBConnection,
  chunkPath: string,
  files: FileResult[],
  counts: Map<number, FileCounts>,
  invalid: Map<number, string>,
): Promise<void> {
  await c.run(
    leftoversSql(
      chunkPath,
      files.map((f) => f.fileId),
    ),
  );
  await c.run(INSERT_INSIGHTS_SQL);
  await c.run(INSERT_SET_ASIDE_SQL);
  const reader = await c.runAndReadAll(
    `SELECT file_id, disposition, count(*), min(record_index)
     FROM load_leftovers GROUP BY ALL`,
  );
  for (const [id, disposition, n, first] of reader.getRows()) {
    const fileId = Number(id);
    const entry = counts.get(fileId)!;
    if (disposition === "insight") entry.insights = Number(n);
    else if (disposition === "set-aside") entry.setAside += Number(n);
    else invalid.set(fileId, `malformed JSON: record ${Number(first)} is not valid JSON`);
  }
  await c.run("DROP TABLE load_leftovers");
}

/**
 * Keeps the first copy of every eventID: copies already in the case from earlier batches or
 * runs, and repeats inside this batch, move to duplicate_events.
 */
async function removeDuplicates(c: DuckDBConnection, ids: number[]): Promise<Map<number, number>> {
  const min = Math.min(...ids);
  const max = Math.max(...ids);
  const inBatch = `file_id BETWEEN ${min} AND ${max} AND file_id IN (${ids.join(", ")})`;
  await c.run(`CREATE OR REPLACE TEMP TABLE load_duplicates AS
WITH batch AS (
  SELECT rowid AS rid, event_id, file_id, record_index FROM events
  WHERE ${inBatch} AND event_id IS NOT NULL
),
earlier AS (
  SELECT DISTINCT e.event_id FROM events e SEMI JOIN batch b ON e.event_id = b.event_id
  WHERE NOT (e.${inBatch})
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY file_id, record_index) AS copy
  FROM batch
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
  return out;
}

/** Records the readers set aside themselves (they are not JSON objects). */
async function appendSetAside(
  c: DuckDBConnection,
  files: FileResult[],
  counts: Map<number, FileCounts>,
  invalid: Map<number, string>,
): Promise<void> {
  const withSetAside = files.filter((f) => f.setAside.length > 0 && !invalid.has(f.fileId));
  if (withSetAside.length === 0) return;
  const rows = await c.createAppender("set_aside_records");
  try {
    for (const f of withSetAside) {
      for (const r of f.setAside) {
        rows.appendInteger(f.fileId);
        rows.appendInteger(r.index);
        rows.appendVarchar(r.reason);
        rows.appendBigInt(BigInt(r.offset));
        rows.appendInteger(r.length);
        rows.appendVarchar(r.encoding);
        rows.endRow();
      }
      counts.get(f.fileId)!.setAside += f.setAside.length;
    }
    rows.flushSync();
  } finally {
    rows.closeSync();
  }
}

async function appendFiles(
  c: DuckDBConnection,
  runId: number,
  files: FileResult[],
  counts: Map<number, FileCounts>,
  invalid: Map<number, string>,
  storedContent: Set<string>,
): Promise<void> {
  const fileRows = await c.createAppender("source_files");
  const contentRows = await c.createAppender("source_contents");
  try {
    for (const f of files) {
      const n = counts.get(f.fileId) ?? { loaded: 0, duplicates: 0, insights: 0, setAside: 0 };
      const bad = invalid.get(f.fileId);
      const status: FileStatus = bad ? "quarantined" : f.status;
      const s3 = parseS3Location(f.member ?? f.path);
      const events = bad ? 0 : n.loaded + n.duplicates;
      fileRows.appendInteger(f.fileId);
      fileRows.appendInteger(runId);
      fileRows.appendVarchar(f.path);
      appendNullable(fileRows, f.member);
      if (f.parentFileId === null) fileRows.appendNull();
      else fileRows.appendInteger(f.parentFileId);
      fileRows.appendBigInt(BigInt(f.size));
      fileRows.appendVarchar(f.sha256);
      fileRows.appendVarchar(f.kind);
      fileRows.appendVarchar(status);
      appendNullable(fileRows, bad ?? f.error);
      appendNullable(fileRows, bad ? "malformed-json" : f.errorCode);
      fileRows.appendInteger(f.recordCount);
      fileRows.appendInteger(events);
      fileRows.appendInteger(bad ? 0 : n.loaded);
      fileRows.appendInteger(bad ? 0 : n.duplicates);
      fileRows.appendInteger(bad ? 0 : n.insights);
      fileRows.appendInteger(bad ? 0 : n.setAside);
      appendNullable(fileRows, s3?.orgId ?? null);
      appendNullable(fileRows, s3?.accountId ?? null);
      appendNullable(fileRows, s3?.region ?? null);
      appendNullable(fileRows, s3?.date ?? null);
      if (f.duplicateOf === undefined) fileRows.appendNull();
      else fileRows.appendInteger(f.duplicateOf);
      fileRows.endRow();
      if (f.content && !storedContent.has(f.sha256)) {
        contentRows.appendVarchar(f.sha256);
        contentRows.appendBoolean(f.contentGzipped);
        contentRows.appendBlob(f.content);
        contentRows.endRow();
        storedContent.add(f.sha256);
      }
    }
    fileRows.flushSync();
    contentRows.flushSync();
  } finally {
    fileRows.closeSync();
    contentRows.closeSync();
  }
  for (const f of files) {
    if (f.kind === "cloudtrail-digest" && f.digest !== undefined)
      await appendDigest(c, f.fileId, f.digest);
  }
}

function appendNullable(
  appender: { appendVarchar(v: string): void; appendNull(): void },
  value: string | null | undefined,
): void {
  if (value === null || value === undefined) appender.appendNull();
  else appender.appendVarchar(value);
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
