/**
 * Two loaders commit units side by side, so copies of one event can land in units that cannot
 * see each other before they commit. The check after each commit (store/duplicates.ts) must
 * still leave one row per eventID, the same row whichever way the commits interleave, with every
 * file's counts right; and a check left pending by a killed load is finished by the next one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaseDatabase } from "../src/store/database.js";
import { ingest, type IngestSummary } from "../src/store/ingest.js";
import { cloudTrailEvent, logFile } from "./fixtures/edge-cases.js";

const FILES = 40;
const PER_FILE = 120;

/**
 * FILES log files; file k + FILES/2 holds the events of file k again, in reverse order (other
 * bytes, so it is not recognised as a copied file): half of all records are duplicates.
 */
function writeOverlappingExports(root: string): void {
  for (let k = 0; k < FILES; k++) {
    const source = k % (FILES / 2);
    const records = Array.from({ length: PER_FILE }, (_, i) =>
      cloudTrailEvent({
        eventID: `00000000-0000-4000-8000-${String(source).padStart(4, "0")}${String(i).padStart(8, "0")}`,
        eventTime: `2026-10-05T${String(source % 24).padStart(2, "0")}:00:${String(i % 60).padStart(2, "0")}Z`,
        eventName: i % 2 ? "GetCallerIdentity" : "ListBuckets",
      }),
    );
    if (k >= FILES / 2) records.reverse();
    const folder = join(root, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05");
    mkdirSync(folder, { recursive: true });
    const name = `111122223333_CloudTrail_us-east-1_20261005T${String(k).padStart(4, "0")}Z_${String(k).padStart(16, "0")}.json.gz`;
    writeFileSync(join(folder, name), gzipSync(logFile(records)));
  }
}

async function rows(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = await CaseDatabase.open(db, { readOnly: true });
  try {
    return (await c.connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    c.close();
  }
}

/** The copy kept of each event, named by file path and position: file ids differ between cases. */
const KEPT = `SELECT e.event_id, f.path, e.record_index FROM events e JOIN source_files f USING (file_id)
  ORDER BY e.event_id`;

/** Per file: rows it holds in events and duplicate_events against its recorded counts. */
const COUNTS = `SELECT
  count(*) FILTER (loaded_count <> (SELECT count(*) FROM events e WHERE e.file_id = f.file_id))::INTEGER AS "wrongLoaded",
  count(*) FILTER (duplicate_count <> (SELECT count(*) FROM duplicate_events d WHERE d.file_id = f.file_id))::INTEGER AS "wrongDuplicates",
  count(*) FILTER (event_count <> loaded_count + duplicate_count)::INTEGER AS "wrongEvents",
  (SELECT count(*) FROM dedup_pending)::INTEGER AS pending
FROM source_files f`;

describe("two loaders committing side by side", () => {
  let dir: string;
  let evidence: string;
  let one: string;
  let two: string;
  let summary: IngestSummary;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-loaders-"));
    evidence = join(dir, "evidence");
    writeOverlappingExports(evidence);
    one = join(dir, "one.duckdb");
    two = join(dir, "two.duckdb");
    // Tiny batches and units: many commits from both loaders, interleaved.
    const small = { chunkBytes: 16 << 10, commitRows: 400, workers: 1 };
    await ingest({ inputs: [evidence], db: one, loaders: 1, ...small });
    summary = await ingest({ inputs: [evidence], db: two, loaders: 2, ...small });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("should load each event once and count every copy", async () => {
    const unique = (FILES / 2) * PER_FILE;
    expect(summary.records).toMatchObject({ events: FILES * PER_FILE, loaded: unique });
    expect(summary.records.duplicates).toBe(unique);
    expect(summary.checks).toEqual({ recordsAddUp: true, eventsAddUp: true });
    const [t] = await rows(
      two,
      `SELECT (SELECT count(*) FROM events)::INTEGER AS events,
        (SELECT count(DISTINCT event_id) FROM events)::INTEGER AS ids,
        (SELECT count(*) FROM duplicate_events)::INTEGER AS duplicates`,
    );
    expect(t).toEqual({ events: unique, ids: unique, duplicates: unique });
  });

  it("should keep the first copy, as a single loader does", async () => {
    const kept = await rows(two, KEPT);
    expect(kept).toEqual(await rows(one, KEPT));
    // The first copy is in the earlier file of each pair, at the position it has there.
    const early = await rows(
      two,
      `SELECT count(*)::INTEGER AS n FROM events e JOIN source_files f USING (file_id)
       WHERE f.file_id > (SELECT min(d.file_id) FROM duplicate_events d WHERE d.event_id = e.event_id)`,
    );
    expect(early[0]!.n).toBe(0);
  });

  it("should leave every file's counts true to its rows, and no check pending", async () => {
    const [c] = await rows(two, COUNTS);
    expect(c).toEqual({ wrongLoaded: 0, wrongDuplicates: 0, wrongEvents: 0, pending: 0 });
  });

  it("should finish a duplicate check that a killed load left pending", async () => {
    const before = await rows(two, KEPT);
    // The state a load killed between a unit's commit and its check leaves: the copies of the
    // last file are rows of events again, counted as loaded, and the file is listed as pending.
    const db = await CaseDatabase.open(two);
    try {
      const c = db.connection;
      const last = (await c.runAndReadAll("SELECT max(file_id) FROM duplicate_events")).getRows();
      const id = Number(last[0]![0]);
      await c.run("BEGIN TRANSACTION");
      await c.run(
        `INSERT INTO events SELECT e.* REPLACE ($id AS file_id, d.record_index AS record_index)
         FROM duplicate_events d JOIN events e USING (event_id) WHERE d.file_id = $id`,
        { id },
      );
      await c.run("DELETE FROM duplicate_events WHERE file_id = $id", { id });
      await c.run(
        "UPDATE source_files SET loaded_count = duplicate_count, duplicate_count = 0 WHERE file_id = $id",
        { id },
      );
      await c.run("INSERT INTO dedup_pending VALUES ($id)", { id });
      await c.run("COMMIT");
    } finally {
      db.close();
    }
    const [copies] = await rows(
      two,
      "SELECT (count(*) - count(DISTINCT event_id))::INTEGER AS n FROM events",
    );
    expect(copies!.n).toBe(PER_FILE);

    const again = await ingest({ inputs: [evidence], db: two });
    expect(again.files.alreadyInCase).toBe(FILES);
    expect(await rows(two, KEPT)).toEqual(before);
    const [c] = await rows(two, COUNTS);
    expect(c).toEqual({ wrongLoaded: 0, wrongDuplicates: 0, wrongEvents: 0, pending: 0 });
  });
});
