/**
 * Loading evidence into a case file.
 *
 * Reader workers decompress, classify and cut files into record lines (archive/); this module
 * loads each batch they produce into DuckDB and commits batches in units: a
 * unit's events, its provenance rows and its kept file bytes commit together or not at all. A
 * process killed mid-load therefore leaves only whole files behind, and the next run, which
 * recognises loaded files by content hash, picks up the rest.
 *
 * How the cores are shared was chosen by measurement on the benchmark archive (bench/). One
 * loader reads batches into the case while one reader worker decompresses and cuts the next ones
 * on the other core. DuckDB's `threads` stays 1: on 2 cores its parallel insert of one batch
 * burned about 60-75% more CPU for no gain in speed (9.6 s against 9.4 s for the 22 batches of the
 * 1M-event archive, 15.9 against 9.5 CPU seconds).
 *
 * Several loaders can run at once (`loaders`), each on a connection of its own; their units
 * commit independently, so duplicates are checked after each commit (duplicates.ts). Note: a
 * second loader is not the default. In isolation two single-threaded loaders inserted the saved
 * batches in 64% of the time for the same CPU (7.4 s against 11.6 s), but in a whole load on 2
 * cores the three threads share two cores: in six paired runs, one loader took 2.47-2.98x the
 * floor (median 2.80x) and two took 2.74-3.28x (median 2.82x), for the same CPU and 0.1-0.4 GiB
 * more memory. On more cores it may pay. Running the commit and the duplicate check with two
 * DuckDB threads made no difference either (three paired runs).
 */
import { rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { listValue, type DuckDBConnection } from "@duckdb/node-api";
import { discoverFiles } from "../archive/discover.js";
import type { Batch, KnownContent } from "../archive/evidence-reader.js";
import type { FileStatus } from "../archive/kinds.js";
import { readEvidence } from "../archive/reader-pool.js";
import { CommitUnit, UNIT_ROWS } from "./commit-unit.js";
import { CaseDatabase } from "./database.js";
import { pendingFiles, settleDuplicates } from "./duplicates.js";
import { defaultScratchBase, makeScratch } from "./scratch.js";
import { TOOL_VERSION } from "./version.js";

export interface IngestOptions {
  /** Files and folders to load; folders are read recursively, bundles opened in memory. */
  inputs: string[];
  /** The case file; created when missing. */
  db: string;
  /** Reader worker threads (default: one core left for DuckDB, at most two readers). */
  workers?: number;
  /** Loaders: batches read into the case at once, each on its own connection (default 1). */
  loaders?: number;
  /** DuckDB threads for each statement (default 1: see the module comment). */
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
  /**
   * Called after every batch the database has read (committed or not yet). With several
   * loaders, calls come in the order batches finish.
   */
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
   * Where the loaders' time went, in seconds: waiting for the readers to deliver a batch, then,
   * summed over the loaders (which run at once, so the sum can exceed the elapsed time), DuckDB
   * reading batches into rows, sorting out records that did not become events, committing
   * (provenance, the write itself) and checking for duplicates.
   */
  phases: {
    waiting: number;
    inserting: number;
    leftovers: number;
    committing: number;
    deduplicating: number;
  };
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
    // A load killed between a commit and its duplicate check left that check to this one.
    await settleDuplicates(c, await pendingFiles(c));
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
    // One check at a time, each in a transaction begun after the commits it must see.
    let checks: Promise<void> = Promise.resolve();
    const settle = (conn: DuckDBConnection, fileIds: number[]): Promise<void> => {
      const run = async () => {
        const from = performance.now();
        const moved = await settleDuplicates(conn, fileIds);
        // Every file of this run has a higher id than any file before it, so the copies moved
        // are all this run's: they were counted as loaded.
        for (const n of moved.values()) {
          summary.records.loaded -= n;
          summary.records.duplicates += n;
        }
        summary.phases.deduplicating += (performance.now() - from) / 1000;
      };
      const next = checks.then(run);
      checks = next.catch(() => undefined);
      return next;
    };
    const loaderCount = Math.max(1, options.loaders ?? 1);
    const connections = [c];
    while (connections.length < loaderCount) connections.push(await db.connect());
    const unitRows = options.commitRows ?? UNIT_ROWS;
    const loaders = connections.map(
      (conn) => new CommitUnit(conn, runId, storedContent, summary, unitRows, settle),
    );
    const progress: IngestProgress = {
      files: 0,
      records: 0,
      bytes: 0,
      committedFiles: 0,
      elapsedSeconds: 0,
    };
    const onLoaded = (batch: Batch) => {
      progress.committedFiles = summary.files.recorded + summary.files.alreadyInCase;
      progress.files += batch.files.length + batch.alreadyInCase;
      for (const f of batch.files) {
        progress.records += f.recordCount;
        if (f.parentFileId === null) progress.bytes += f.size;
      }
      progress.elapsedSeconds = (performance.now() - started) / 1000;
      options.onProgress?.({ ...progress });
    };
    const idle = [...loaders];
    const busy = new Set<Promise<void>>();
    // The first error of a loader; the others stop at their next batch.
    const failures: unknown[] = [];
    try {
      // A loader waits for the readers from when it goes idle until it is handed a batch.
      const idleSince = new Map(loaders.map((loader) => [loader, performance.now()]));
      for await (const batch of batches) {
        while (idle.length === 0 && failures.length === 0) await Promise.race(busy);
        // Leaving the loop stops the readers.
        if (failures.length > 0) throw failures[0];
        const loader = idle.shift()!;
        summary.phases.waiting += (performance.now() - idleSince.get(loader)!) / 1000;
        const work: Promise<void> = loader
          .add(batch)
          .then(
            () => {
              idle.push(loader);
              idleSince.set(loader, performance.now());
              onLoaded(batch);
            },
            (error: unknown) => {
              failures.push(error);
            },
          )
          .finally(() => busy.delete(work));
        busy.add(work);
      }
      await Promise.all(busy);
      if (failures.length > 0) throw failures[0];
      await Promise.all(loaders.map((loader) => loader.commit()));
    } finally {
      // Never close the case under a statement still running.
      await Promise.allSettled([...busy, checks]);
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
    phases: { waiting: 0, inserting: 0, leftovers: 0, committing: 0, deduplicating: 0 },
    checks: { recordsAddUp: true, eventsAddUp: true },
  };
}
