/**
 * The query commands through the real command line (`main(argv)`, stdout and stderr captured):
 * every output format of every command, tables that fit the terminal, help with examples, the
 * sandbox's refusals and `--out`, and the exit statuses scripts rely on.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPage, formatRows, streamEnd, streamStart } from "../src/cli/format.js";
import { main } from "../src/cli/main.js";
import { holdCase } from "./helpers/hold-case.js";
import { SAMPLE, sampleCase, type SampleCase } from "./helpers/sample-case.js";
import { parseCsv } from "./helpers/csv-reader.js";

let sample: SampleCase;
let out: string;

beforeAll(async () => {
  sample = await sampleCase("cli");
  out = mkdtempSync(join(tmpdir(), "trailbook-cli-out-"));
});
afterAll(() => {
  sample?.cleanup();
  if (out) rmSync(out, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `trailbook <args>` in this process, capturing what it writes. */
async function trailbook(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(["node", "trailbook", ...args]);
    return { code, stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Reads a Parquet file back with DuckDB: its rows (as JSON values) and column types. */
async function readParquet(
  file: string,
): Promise<{ rows: Record<string, unknown>[]; types: Record<string, string> }> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet($f)`, { f: file });
    const types = Object.fromEntries(
      reader.columnNames().map((n, i) => [n, reader.columnTypes()[i]!.toString()]),
    );
    return { rows: reader.getRowObjectsJson() as Record<string, unknown>[], types };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const ALLOWED = "us-east-1,us-west-2";
const BOT = "arn:aws:iam::777788889999:user/build-bot";

/** Each query command, the rows it must give, and where each row's event ids are. */
const COMMANDS: { name: string; args: () => string[]; ids: (row: any) => string[] }[] = [
  {
    name: "sts regions",
    args: () => ["sts", "regions", "--db", sample.db],
    ids: (r) => r.event_ids,
  },
  {
    name: "sts outside",
    args: () => ["sts", "outside", "--db", sample.db, "--allowed-regions", ALLOWED],
    ids: (r) => [r.event_id],
  },
  {
    name: "sts outside --by-principal",
    args: () => [
      "sts",
      "outside",
      "--db",
      sample.db,
      "--scp",
      join(SAMPLE, "policies", "region-lock-scp.json"),
      "--by-principal",
    ],
    ids: (r) => r.event_ids,
  },
  {
    name: "sts controls",
    args: () => ["sts", "controls", "--db", sample.db, "--allowed-regions", ALLOWED],
    ids: (r) => r.event_ids,
  },
  {
    name: "timeline",
    args: () => ["timeline", "--db", sample.db, "--principal", BOT, "--from", "2026-10-27"],
    ids: (r) => [r.event_id],
  },
  {
    name: "sql",
    args: () => [
      "sql",
      "--db",
      sample.db,
      "--param",
      `who=${BOT}`,
      "SELECT event_time, event_id, event_name, aws_region FROM events WHERE principal_arn = $who ORDER BY event_time, event_id",
    ],
    ids: (r) => [r.event_id],
  },
];

describe("every query command, in every format", () => {
  for (const command of COMMANDS) {
    describe(command.name, () => {
      let json: any[];
      beforeAll(async () => {
        const run = await trailbook([...command.args(), "--format", "json"]);
        expect(run.code, run.stderr).toBe(0);
        json = JSON.parse(run.stdout);
      });

      it("should print JSON: an array of objects that carry their event ids", () => {
        expect(Array.isArray(json)).toBe(true);
        expect(json.length).toBeGreaterThan(0);
        for (const row of json) {
          const ids = command.ids(row);
          expect(ids.length).toBeGreaterThan(0);
          for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
        }
      });

      it("should print the same rows as newline-delimited JSON", async () => {
        const run = await trailbook([...command.args(), "--format", "ndjson"]);
        expect(run.code).toBe(0);
        const lines = run.stdout.trimEnd().split("\n");
        expect(lines.map((l) => JSON.parse(l))).toEqual(json);
      });

      it("should print the same rows as CSV, with a header", async () => {
        const run = await trailbook([...command.args(), "--format", "csv"]);
        expect(run.code).toBe(0);
        const [header, ...rows] = parseCsv(run.stdout);
        expect(header).toEqual(Object.keys(json[0]));
        expect(rows).toHaveLength(json.length);
        const idColumn = header!.indexOf(header!.includes("event_id") ? "event_id" : "event_ids");
        rows.forEach((r, i) => {
          const cell = r[idColumn]!;
          const ids = cell.startsWith("[") ? JSON.parse(cell) : [cell];
          expect(ids).toEqual(command.ids(json[i]));
        });
      });

      it("should print a table that fits the terminal", async () => {
        for (const width of ["80", "132"]) {
          const run = await trailbook([...command.args(), "--format", "table"], {
            COLUMNS: width,
          });
          expect(run.code).toBe(0);
          let lines = run.stdout.trimEnd().split("\n");
          if (command.name === "sts controls") {
            // A document: its JSON and the pattern are printed whole, to be copied; the prose fits.
            lines = lines.filter((l) => !/^[\s{}[\]"]/.test(l));
            expect(lines.length).toBeGreaterThan(5);
          }
          for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(Number(width));
          if (command.name !== "sts controls") {
            expect(run.stdout).toMatch(new RegExp(`\\(${json.length} rows?\\)`));
          }
        }
      });

      it("should write Parquet to --out, with types", async () => {
        const file = join(out, `${command.name.replaceAll(/\W+/g, "-")}.parquet`);
        const run = await trailbook([...command.args(), "--format", "parquet", "--out", file]);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toBe("");
        expect(run.stderr).toMatch(/wrote \d+ rows/);
        const { rows, types } = await readParquet(file);
        expect(rows).toHaveLength(json.length);
        for (const [column, type] of Object.entries(types)) {
          if (/^(event_time|first_seen|last_seen)$/.test(column)) {
            expect(type, column).toBe("TIMESTAMP WITH TIME ZONE");
          }
          if (/^(calls|errors|principals|filter_count|query_count)$/.test(column)) {
            expect(type, column).toBe("BIGINT");
          }
          if (/^event_ids$/.test(column)) expect(type, column).toBe("VARCHAR[]");
        }
        const firstIds = command.ids(rows[0]);
        expect(firstIds).toEqual(command.ids(json[0]));
      });

      it("should refuse --format parquet without --out, and unknown formats", async () => {
        const parquet = await trailbook([...command.args(), "--format", "parquet"]);
        expect(parquet.code).toBe(2);
        expect(parquet.stderr).toMatch(/give --out/);
        const xml = await trailbook([...command.args(), "--format", "xml"]);
        expect(xml.code).toBe(2);
        expect(xml.stderr).toMatch(/unknown --format "xml"/);
      });

      it("should show an example in its help", async () => {
        const words = command.name.split(" ").filter((w) => !w.startsWith("--"));
        const run = await trailbook([...words, "--help"]);
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/Examples?:\n\s+\$ trailbook /);
        expect(run.stdout).toContain(`$ trailbook ${words.join(" ")} `);
        expect(run.stdout).toMatch(/--db <file>/);
        expect(run.stdout).toMatch(/--format <format>/);
      });
    });
  }
});

describe("what the commands say", () => {
  it("should report the verdicts and what they assume beside the table", async () => {
    const run = await trailbook([
      "sts",
      "outside",
      "--db",
      sample.db,
      "--allowed-regions",
      ALLOWED,
    ]);
    expect(run.stdout).toMatch(/Verdicts: 3 succeeded-would-be-denied|Verdicts: .*not-deniable/);
    expect(run.stdout).toMatch(/Note: No organization was given/);
    // With --format json the notes go to stderr, so stdout stays one JSON document.
    const json = await trailbook([
      "sts",
      "outside",
      "--db",
      sample.db,
      "--allowed-regions",
      ALLOWED,
      "--organization",
      join(SAMPLE, "iam", "organization.json"),
      "--format",
      "json",
    ]);
    expect(json.stderr).toMatch(/Verdicts: /);
    expect(json.stderr).not.toMatch(/No organization was given/);
    const rows = JSON.parse(json.stdout) as { verdict: string }[];
    expect(rows.filter((r) => r.verdict === "account-not-governed")).toHaveLength(3);
  });

  it("should print the controls, their notes and their check", async () => {
    const run = await trailbook([
      "sts",
      "controls",
      "--db",
      sample.db,
      "--allowed-regions",
      ALLOWED,
      "--check",
      "records",
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/# Service control policy/);
    expect(run.stdout).toMatch(/GetCallerIdentity and sts:GetSessionToken cannot be denied/);
    expect(run.stdout).toMatch(/"Type": "AWS::Logs::MetricFilter"/);
    const expected = sample.expected.sts.outsideAllowedRegions.length;
    expect(run.stdout.replace(/\s+/g, " ")).toMatch(
      new RegExp(
        `testing ${sample.expected.counts.distinctEventIds} original records\\) would have matched ${expected} events; ` +
          `the outside-regions query finds ${expected} .*they agree`,
      ),
    );
  });

  it("should exit 2 on options that cannot work, before opening anything", async () => {
    const none = await trailbook(["sts", "outside", "--db", sample.db]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give --allowed-regions or --scp/);
    const time = await trailbook([
      "timeline",
      "--db",
      sample.db,
      "--principal",
      BOT,
      "--from",
      "27/10/2026",
    ]);
    expect(time.code).toBe(2);
    expect(time.stderr).toMatch(/"27\/10\/2026" is not a time/);
    const missing = await trailbook(["sts", "regions", "--db", join(out, "nope.duckdb")]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/no case file at/);
  });
});

describe("large results", () => {
  it("should stream page by page exactly what one piece would print", () => {
    const columns = ["a", "b"];
    const rows = Array.from({ length: 7 }, (_, i) => ({ a: i, b: i % 2 ? `x,"${i}"` : null }));
    for (const format of ["csv", "json", "ndjson"] as const) {
      for (const split of [[], [7], [0, 3, 7], [1, 1, 2, 7, 7]]) {
        let text = streamStart(columns, format);
        let written = 0;
        const cuts = [0, ...split, 7];
        for (let i = 1; i < cuts.length; i++) {
          const page = rows.slice(cuts[i - 1], cuts[i]);
          text += formatPage(columns, page, format, written);
          written += page.length;
        }
        text += streamEnd(format, written);
        expect(text, `${format} ${split}`).toBe(formatRows(columns, rows, format));
      }
      const empty = streamStart(columns, format) + streamEnd(format, 0);
      expect(empty).toBe(formatRows(columns, [], format));
    }
  });

  it("should stream a result of many pages to stdout and to --out", async () => {
    const sql = "SELECT event_id, event_time, request_parameters FROM events ORDER BY event_id";
    const n = sample.expected.counts.distinctEventIds;
    const json = await trailbook(["sql", "--db", sample.db, "--format", "json", sql]);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as { event_id: string }[];
    expect(rows).toHaveLength(n);
    expect(rows.map((r) => r.event_id)).toEqual(sample.records.map((r) => r.eventID).sort());
    const file = join(out, "all.csv");
    const csv = await trailbook(["sql", "--db", sample.db, "--format", "csv", "--out", file, sql]);
    expect(csv.stderr).toMatch(new RegExp(`wrote ${n} rows`));
    expect(parseCsv(readFileSync(file, "utf8"))).toHaveLength(n + 1);
  });
});

describe("trailbook sql", () => {
  const refused: string[] = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "ATTACH '/tmp/x.duckdb' AS x",
    "COPY (SELECT * FROM events) TO '/tmp/trailbook-leak.csv'",
    "INSTALL httpfs",
    "LOAD json",
    "SET enable_external_access = true",
  ];
  for (const sql of refused) {
    it(`should refuse ${sql} with a clear message and exit 2`, async () => {
      const run = await trailbook(["sql", "--db", sample.db, sql]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^trailbook: query refused/);
      expect(run.stderr).toMatch(/read-only query over the case file's tables/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it("should write only the file --out names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trailbook-sql-out-"));
    try {
      const file = join(dir, "result.csv");
      const run = await trailbook([
        "sql",
        "--db",
        sample.db,
        "--format",
        "csv",
        "--out",
        file,
        "SELECT event_source, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC",
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(readdirSync(dir)).toEqual(["result.csv"]);
      const parquet = join(dir, "result.parquet");
      const p = await trailbook([
        "sql",
        "--db",
        sample.db,
        "--format",
        "parquet",
        "--out",
        parquet,
        "--from",
        "2026-10-27",
        "SELECT event_time, event_id, request_parameters FROM events WHERE event_time >= $from::TIMESTAMPTZ",
      ]);
      expect(p.code, p.stderr).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(["result.csv", "result.parquet"]);
      const back = await readParquet(parquet);
      expect(back.types.event_time).toBe("TIMESTAMP WITH TIME ZONE");
      expect(back.rows).toHaveLength(
        sample.records.filter((r) => r.eventTime >= "2026-10-27T00:00:00Z").length,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("should say which parameter is missing or extra", async () => {
    const missing = await trailbook(["sql", "--db", sample.db, "SELECT $who AS w"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/query failed: .*who/);
    const extra = await trailbook(["sql", "--db", sample.db, "--param", "who=x", "SELECT 1"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/no parameter \$who/);
  });
});

describe("a case file another process holds", () => {
  let holder: ChildProcess | undefined;
  afterAll(() => {
    if (holder && holder.exitCode === null) holder.kill();
  });

  it("should exit 4 with a message saying so, for every command", async () => {
    holder = await holdCase(sample.db);
    for (const command of COMMANDS) {
      const run = await trailbook([...command.args(), "--format", "json"]);
      expect(run.code, command.name).toBe(4);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/is open in another process \(PID \d+\)/);
      expect(run.stderr).toMatch(/case-locked/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
