/**
 * Killing a load with SIGKILL after it has committed something leaves a case file that opens and
 * holds only whole files; the next run completes the load without duplicates.
 *
 * The real command runs on a generated archive with small batches and transactions, so that it
 * commits many times; its progress lines (JSON on stderr) say when a unit has committed.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeBenchArchive, type BenchArchiveResult } from "../src/sample/bench.js";
import { CaseDatabase } from "../src/store/database.js";
import type { IngestProgress, IngestSummary } from "../src/store/ingest.js";
import { ensureBuilt, runCli, startCli } from "./fixtures/cli.js";

const SMALL_COMMITS = ["--batch-mb", "1", "--commit-rows", "3000"];

async function one(db: string, sql: string): Promise<Record<string, unknown>> {
  const c = await CaseDatabase.open(db, { readOnly: true });
  try {
    return (await c.connection.runAndReadAll(sql)).getRowObjectsJS()[0] as Record<string, unknown>;
  } finally {
    c.close();
  }
}

/** Resolves once the loader's progress lines report committed files. */
function firstCommit(child: ChildProcess, exited: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = "";
    const onData = (d: string) => {
      pending += d;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        const p = JSON.parse(line) as IngestProgress;
        if (p.committedFiles > 0) {
          child.stderr!.off("data", onData);
          clearInterval(timer);
          resolve();
          return;
        }
      }
    };
    child.stderr!.on("data", onData);
    const timer = setInterval(() => {
      if (!exited()) return;
      clearInterval(timer);
      reject(new Error("the load ended before a commit was seen: make the archive larger"));
    }, 5);
  });
}

describe("a load killed with SIGKILL", () => {
  let dir: string;
  let evidence: string;
  let archive: BenchArchiveResult;
  let db: string;
  let scratch: string;
  let killedPid: number;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "trailbook-kill-"));
    evidence = join(dir, "evidence");
    archive = await writeBenchArchive({ outDir: evidence, events: 60_000, seed: 11 });
    db = join(dir, "case.duckdb");
    scratch = join(dir, "scratch");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("should leave a case file that opens and holds only whole files", async () => {
    const { child, done } = startCli([
      "ingest",
      evidence,
      "--db",
      db,
      ...SMALL_COMMITS,
      "--scratch",
      scratch,
      "--progress-json",
    ]);
    let exited = false;
    void done.then(() => (exited = true));
    await firstCommit(child, () => exited);
    // A little later, so the kill lands in the middle of later batches and commits.
    await new Promise((resolve) => setTimeout(resolve, 250));
    child.kill("SIGKILL");
    killedPid = child.pid!;
    const result = await done;
    expect(result.signal).toBe("SIGKILL");
    // The killed run could not remove its scratch folder.
    expect(existsSync(join(scratch, `trailbook-ingest-${killedPid}`))).toBe(true);

    const files = await one(
      db,
      `SELECT count(*)::INTEGER AS files,
         count(*) FILTER (status = 'loaded')::INTEGER AS loaded,
         (SELECT count(*) FROM events)::INTEGER AS events,
         (SELECT finished_at FROM ingest_runs WHERE run_id = 1) AS finished
       FROM source_files`,
    );
    // Killed mid-load: something committed, not everything, and the run never finished.
    expect(files.files).toBeGreaterThan(0);
    expect(files.files).toBeLessThan(archive.files);
    expect(files.finished).toBeNull();
    // Every file recorded as loaded holds exactly its events; no event belongs to a file the
    // case does not record (the rows of a transaction cut short are gone with it).
    const partial = await one(
      db,
      `SELECT
         (SELECT count(*) FROM source_files f
          WHERE f.status = 'loaded'
            AND f.loaded_count <> (SELECT count(*) FROM events e WHERE e.file_id = f.file_id)
         )::INTEGER AS "wrongCounts",
         (SELECT count(*) FROM events e ANTI JOIN source_files f USING (file_id))::INTEGER AS orphans,
         (SELECT count(*) - count(DISTINCT event_id) FROM events)::INTEGER AS repeats`,
    );
    expect(partial).toEqual({ wrongCounts: 0, orphans: 0, repeats: 0 });
  });

  it("should complete the load on the next run, without duplicates", async () => {
    const before = await one(db, "SELECT count(*)::INTEGER AS n FROM events");
    const r = await runCli([
      "ingest",
      evidence,
      "--db",
      db,
      "--json",
      "--scratch",
      scratch,
      ...SMALL_COMMITS,
    ]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as IngestSummary;
    expect(summary.records.duplicates).toBe(0);
    expect(Number(before.n) + summary.records.loaded).toBe(archive.events);
    // The next run removed the killed run's scratch folder, and its own.
    expect(readdirSync(scratch)).toEqual([]);

    const after = await one(
      db,
      `SELECT (SELECT count(*) FROM events)::INTEGER AS events,
         (SELECT count(DISTINCT event_id) FROM events)::INTEGER AS ids,
         (SELECT count(*) FROM duplicate_events)::INTEGER AS duplicates,
         (SELECT count(*) FROM source_files)::INTEGER AS files,
         (SELECT count(DISTINCT path) FROM source_files)::INTEGER AS paths,
         (SELECT count(*) FROM source_files WHERE status <> 'loaded')::INTEGER AS "notLoaded",
         (SELECT sum(loaded_count) FROM source_files)::INTEGER AS loaded,
         (SELECT sum(event_count) FROM source_files)::INTEGER AS "eventCount"`,
    );
    expect(after).toEqual({
      events: archive.events,
      ids: archive.events,
      duplicates: 0,
      files: archive.files,
      paths: archive.files,
      notLoaded: 0,
      loaded: archive.events,
      eventCount: archive.events,
    });
  });
});
