/**
 * A loader's commit unit: batches read into the case in one transaction, with their provenance.
 * Several loaders (store/ingest.ts) each fill units of their own, on their own connection.
 */
import { rm } from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Batch, FileResult } from "../archive/evidence-reader.js";
import type { FileKind, FileStatus } from "../archive/kinds.js";
import { markPending } from "./duplicates.js";
import type { IngestSummary } from "./ingest.js";
import {
  INSERT_INSIGHTS_SQL,
  INSERT_SET_ASIDE_SQL,
  insertEventsSql,
  leftoversSql,
} from "./load-sql.js";
import { appendFiles, appendSetAside, type FileCounts } from "./provenance-rows.js";

/**
 * Batches are committed in units of several, so that each transaction writes whole row groups
 * straight to the database file; small transactions went through the write-ahead log and were
 * written twice (measured: commits took half the load). A unit is also where provenance rows are
 * written and duplicates checked for, once per unit rather than once per batch.
 */
export const UNIT_ROWS = 400_000;

export class CommitUnit {
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
    /** Checks the committed files for duplicates (duplicates.ts); the loader serialises it. */
    private readonly settle: (c: DuckDBConnection, fileIds: number[]) => Promise<void>,
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
      await this.c.run(insertEventsSql(chunk));
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
    // Every event counts as loaded until the duplicate check, which moves copies and their counts.
    const settled = withRecords.filter((f) => !invalid.has(f.fileId)).map((f) => f.fileId);
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
        const loaded = await countByFile(this.c, "events", ids);
        for (const [id, n] of loaded) counts.get(id)!.loaded = n;
      }
      await appendSetAside(this.c, withRecords, counts, invalid);
      await appendFiles(this.c, this.runId, files, counts, invalid, this.storedContent);
      await markPending(this.c, settled);
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
    await this.settle(this.c, settled);
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

export function tally(
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
