/**
 * The one CSV writer (`src/query/csv.ts`): its convention pinned byte for byte, and the CLI's
 * `--format csv` (whole and streamed) and the report's `tables/*.csv` writer giving the same
 * bytes for the same rows, awkward values included. The report test compares a real
 * `sts outside` export with the report's CSV of the same table.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPage, formatRows, streamEnd, streamStart } from "../src/cli/format.js";
import { main } from "../src/cli/main.js";
import { csvText, openCase, toCsv, type Row } from "../src/index.js";
import { parseCsv } from "./helpers/csv-reader.js";

const COLUMNS = ["text", "count", "when", "list", "object", "missing", "flag"];

/** Values a CloudTrail export really holds, and the JS values the writer must also take. */
const ROWS: Record<string, unknown>[] = [
  {
    text: 'Boto3/1.34 "quoted", comma',
    count: 12,
    when: "2026-10-27T09:14:03.000Z",
    list: ["us-east-1", "us-west-2"],
    object: { roleArn: "arn:aws:iam::111122223333:role/a,b", durationSeconds: 3600 },
    missing: null,
    flag: true,
  },
  {
    text: "two\nlines\r\nand a CR\r",
    count: 12345678901234567890n,
    when: new Date(Date.UTC(2026, 9, 27, 9, 14, 3, 5)),
    list: [],
    object: { nested: { deeper: [1, null, "x"] }, big: 9007199254740993n },
    missing: undefined,
    flag: false,
  },
  {
    text: "",
    count: 0.5,
    when: null,
    list: [new Date(Date.UTC(2026, 0, 1)), null],
    object: {},
    missing: "",
    flag: null,
  },
];

const EXPECTED =
  "text,count,when,list,object,missing,flag\n" +
  '"Boto3/1.34 ""quoted"", comma",12,2026-10-27T09:14:03.000Z,"[""us-east-1"",""us-west-2""]",' +
  '"{""roleArn"":""arn:aws:iam::111122223333:role/a,b"",""durationSeconds"":3600}",,true\n' +
  '"two\nlines\r\nand a CR\r",12345678901234567890,2026-10-27T09:14:03.005Z,[],' +
  '"{""nested"":{""deeper"":[1,null,""x""]},""big"":""9007199254740993""}",,false\n' +
  ',0.5,,"[""2026-01-01T00:00:00.000Z"",null]",{},,\n';

/** The CLI's streamed CSV of the rows, cut into pages at `cuts`. */
function streamed(columns: string[], rows: Record<string, unknown>[], cuts: number[]): string {
  let text = streamStart(columns, "csv");
  let written = 0;
  const ends = [...cuts, rows.length];
  for (let i = 0, from = 0; i < ends.length; from = ends[i]!, i++) {
    const page = rows.slice(from, ends[i]);
    text += formatPage(columns, page, "csv", written);
    written += page.length;
  }
  return text + streamEnd("csv", written);
}

describe("the CSV convention", () => {
  it("should write RFC 4180 fields with LF line ends, lists and objects as JSON, times in UTC", () => {
    expect(toCsv(COLUMNS, ROWS)).toBe(EXPECTED);
  });

  it("should read back as the cells the convention names", () => {
    const [header, ...records] = parseCsv(toCsv(COLUMNS, ROWS));
    expect(header).toEqual(COLUMNS);
    expect(records.map((r) => r[0])).toEqual(ROWS.map((r) => r.text));
    expect(JSON.parse(records[0]![3]!)).toEqual(["us-east-1", "us-west-2"]);
    expect(JSON.parse(records[1]![4]!)).toEqual({
      nested: { deeper: [1, null, "x"] },
      big: "9007199254740993",
    });
    expect(records.map((r) => r[5])).toEqual(["", "", ""]);
  });

  it("should not write a blank line for a row whose only cell is empty", () => {
    const rows = [{ a: null }, { a: "" }, { a: "x" }, { a: undefined }];
    const text = toCsv(["a"], rows);
    expect(text).toBe('a\n""\n""\nx\n""\n');
    expect(parseCsv(text)).toEqual([["a"], [""], [""], ["x"], [""]]);
    expect(text.split("\n").filter((l) => l === "")).toEqual([""]); // only after the last line end
  });

  it("should quote column names like any other field", () => {
    expect(toCsv(["a,b", 'say "hi"'], [])).toBe('"a,b","say ""hi"""\n');
  });
});

describe("the CLI and the report write the same CSV", () => {
  it("should give the same bytes for the same rows: whole, streamed and in the report", () => {
    const report = csvText(ROWS, COLUMNS);
    expect(report).toBe(EXPECTED);
    expect(formatRows(COLUMNS, ROWS, "csv")).toBe(report);
    for (const cuts of [[], [0], [1], [1, 2], [3]]) {
      expect(streamed(COLUMNS, ROWS, cuts), String(cuts)).toBe(report);
    }
    // Report tables name their columns with titles; the CSV header is the keys either way.
    const titled = COLUMNS.map((key) => ({ key, title: key.toUpperCase() }));
    expect(csvText(ROWS, titled)).toBe(report);
    expect(csvText([], COLUMNS)).toBe(formatRows(COLUMNS, [], "csv"));
  });

  describe("on a query's rows from a real case file", () => {
    let dir: string;
    let db: string;
    // DuckDB's own awkward values: lists, structs, maps, timestamps with and without a zone,
    // integers beyond 2^53, text with commas, quotes and line breaks, nulls.
    const SQL = `SELECT * FROM (VALUES
  ('a,b "c"' || chr(10) || 'd', ['x', 'y,z'], {'k': 'v "w"', 'n': 2}, TIMESTAMPTZ '2026-10-27 09:14:03.5+02',
   9007199254740993::BIGINT, NULL::VARCHAR, true, MAP {'a': 1}),
  ('', [], NULL, TIMESTAMP '2026-01-01 00:00:00', -1::BIGINT, 'plain', NULL, NULL),
  (NULL, NULL, {'k': NULL, 'n': NULL}, NULL, NULL, '=1+2', false, MAP {})
) AS t(text, list, struct, seen_at, big, other, flag, map)
ORDER BY big NULLS LAST`;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "trailbook-csv-"));
      db = join(dir, "case.duckdb");
      const c = await openCase(db, { writable: true, create: true });
      c.close();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("should print with `trailbook sql --format csv` exactly what the report writes", async () => {
      const c = await openCase(db);
      let rows: Row[];
      let columns: string[];
      try {
        ({ rows, columns } = await c.sql(SQL));
      } finally {
        c.close();
      }
      const report = csvText(rows, columns);
      const stdout: string[] = [];
      const write = process.stdout.write;
      process.stdout.write = ((chunk: string | Uint8Array) => {
        stdout.push(String(chunk));
        return true;
      }) as typeof process.stdout.write;
      let code: number;
      try {
        code = await main(["node", "trailbook", "sql", "--db", db, "--format", "csv", SQL]);
      } finally {
        process.stdout.write = write;
      }
      expect(code).toBe(0);
      expect(stdout.join("")).toBe(report);
      const [header, ...records] = parseCsv(report);
      expect(header).toEqual(["text", "list", "struct", "seen_at", "big", "other", "flag", "map"]);
      expect(records).toEqual([
        ["", "[]", "", "2026-01-01T00:00:00.000Z", "-1", "plain", "", ""],
        [
          'a,b "c"\nd',
          '["x","y,z"]',
          '{"k":"v \\"w\\"","n":2}',
          "2026-10-27T07:14:03.500Z",
          "9007199254740993",
          "",
          "true",
          // A map is a list of entries in query rows (as `--format json` prints it too).
          '[{"key":"a","value":1}]',
        ],
        ["", "", '{"k":null,"n":null}', "", "", "=1+2", "false", "[]"],
      ]);
    });
  });
});
