/**
 * `trailbook ingest` as a user runs it: exit statuses, the --json summary, the human summary and
 * the progress line (only on a terminal).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaseDatabase } from "../src/store/database.js";
import type { IngestSummary } from "../src/store/ingest.js";
import { BIN, ensureBuilt, runCli } from "./fixtures/cli.js";
import { cloudTrailEvent, logFile } from "./fixtures/edge-cases.js";
import { REPO_ROOT } from "./fixtures/real-datasets.js";

const S3 = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05";
const HAVE_SCRIPT = spawnSync("script", ["--version"]).status === 0;
if (!HAVE_SCRIPT) console.warn("cli-ingest: no `script` command, skipping the terminal case");

let dir: string;
let good: string;
let mixed: string;

function put(root: string, rel: string, data: string | Buffer): string {
  const path = join(root, rel);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, data);
  return path;
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "trailbook-cli-"));
  good = join(dir, "good");
  put(good, `${S3}/a.json.gz`, gzipSync(logFile([cloudTrailEvent(), cloudTrailEvent()])));
  put(good, "notes.txt", "collected by the responder\n");
  mixed = join(dir, "mixed");
  put(mixed, `${S3}/b.json.gz`, gzipSync(logFile([cloudTrailEvent()])));
  const whole = gzipSync(logFile([cloudTrailEvent(), cloudTrailEvent()]));
  put(mixed, `${S3}/cut.json.gz`, whole.subarray(0, whole.length >> 1));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("trailbook ingest exit statuses", () => {
  it("should exit 0 when every file loaded or was skipped by kind", async () => {
    const r = await runCli(["ingest", good, "--db", join(dir, "good.duckdb")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("should exit 3 when a file was quarantined, and still load the others", async () => {
    const db = join(dir, "mixed.duckdb");
    const r = await runCli(["ingest", mixed, "--db", db]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/1 quarantined/);
    expect(r.stdout).toContain(`${mixed}/${S3}/cut.json.gz: gzip-truncated: truncated gzip`);
    const c = await CaseDatabase.open(db, { readOnly: true });
    try {
      const rows = (await c.connection.runAndReadAll("SELECT count(*) FROM events")).getRows();
      expect(Number(rows[0]![0])).toBe(1);
    } finally {
      c.close();
    }
  });

  it("should exit 2 for a usage error, naming it", async () => {
    const noDb = await runCli(["ingest", good]);
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toMatch(/--db/);
    const unknown = await runCli(["ingest", good, "--db", join(dir, "x.duckdb"), "--fast"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--fast'/);
    const badNumber = await runCli([
      "ingest",
      good,
      "--db",
      join(dir, "x.duckdb"),
      "--workers",
      "0",
    ]);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toMatch(/positive whole number/);
    const missing = join(dir, "no-such-folder");
    const noInput = await runCli(["ingest", missing, "--db", join(dir, "x.duckdb")]);
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain(missing);
  });

  it("should exit 4 when the case file is not a case file", async () => {
    const bogus = join(dir, "bogus.duckdb");
    writeFileSync(
      bogus,
      "this is not a database, it is a text file with a .duckdb name\n".repeat(100),
    );
    const r = await runCli(["ingest", good, "--db", bogus]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(bogus);
  });

  it("should exit 4 when another process holds the case file", async () => {
    const db = join(dir, "held.duckdb");
    const holder = await CaseDatabase.open(db, { create: true });
    try {
      const r = await runCli(["ingest", good, "--db", db]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/is open in another process/);
    } finally {
      holder.close();
    }
  });
});

describe("trailbook ingest --scratch", () => {
  it("should keep its chunks in a folder of its own there, and leave the user's files alone", async () => {
    const scratch = join(dir, "scratch");
    put(scratch, "keep-me.txt", "the responder's notes\n");
    const r = await runCli(["ingest", good, "--db", join(dir, "s.duckdb"), "--scratch", scratch]);
    expect(r.code).toBe(0);
    expect(readdirSync(scratch)).toEqual(["keep-me.txt"]);
  });
});

describe("trailbook ingest output", () => {
  it("should print the whole summary as JSON with --json", async () => {
    const r = await runCli(["ingest", mixed, "--db", join(dir, "json.duckdb"), "--json"]);
    expect(r.code).toBe(3);
    const s = JSON.parse(r.stdout) as IngestSummary;
    expect(s).toMatchObject({
      runId: 1,
      db: join(dir, "json.duckdb"),
      inputs: [mixed],
      files: {
        recorded: 2,
        byStatus: { loaded: 1, skipped: 0, quarantined: 1 },
        byKind: { "cloudtrail-log": { loaded: 1 }, unknown: { quarantined: 1 } },
        alreadyInCase: 0,
      },
      records: { found: 1, events: 1, loaded: 1, duplicates: 0, insights: 0, setAside: 0 },
      digests: 0,
      checks: { recordsAddUp: true, eventsAddUp: true },
    });
    expect(s.quarantined).toEqual([
      {
        fileId: expect.any(Number),
        path: `${mixed}/${S3}/cut.json.gz`,
        member: null,
        code: "gzip-truncated",
        reason: expect.stringMatching(/^truncated gzip/),
      },
    ]);
    expect(s.elapsedSeconds).toBeGreaterThan(0);
    expect(s.bytesRead).toBeGreaterThan(0);
  });

  it("should print a short summary for people, and no progress when stderr is not a terminal", async () => {
    const db = join(dir, "human.duckdb");
    const r = await runCli(["ingest", good, "--db", db]);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^Loaded into ${db} in \\d+\\.\\d s \\(run 1\\)\\.$`));
    expect(lines[1]).toBe("Files: 2 recorded: 1 loaded, 1 skipped, 0 quarantined");
    expect(lines).toContain(`  ${"cloudtrail-log".padEnd(32)} 1 loaded`);
    expect(lines).toContain(`  ${"text".padEnd(32)} 1 skipped`);
    expect(lines.at(-1)).toBe(
      "Events: 2 loaded, 0 duplicates of events already loaded; 0 Insight events; " +
        "0 records set aside (not CloudTrail events); 0 digest files.",
    );
    const again = await runCli(["ingest", good, "--db", db]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Files: 0 recorded: .*; 2 already in the case/);
  });

  it.skipIf(!HAVE_SCRIPT)("should show a progress line on a terminal, cleared at the end", () => {
    const db = join(dir, "tty.duckdb");
    // `script` gives the command a pseudo-terminal; its output is what the terminal received.
    const r = spawnSync(
      "script",
      ["-qec", `${process.execPath} ${BIN} ingest ${good} --db ${db}`, "/dev/null"],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\r\x1b\[K2 files, 0\.0 MB, 2 records \(\d+\/s\), \d+ s/);
    // The line is cleared before the summary starts.
    expect(r.stdout).toMatch(/\r\x1b\[KLoaded into /);
  });
});
