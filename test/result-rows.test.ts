/**
 * Rows from DuckDB results: `Case.sql` and `Case.pages` read text columns packed (one JSON array
 * per row) and the rest column by column; whatever the path, every row must equal the reference
 * conversion of DuckDB's own row objects, value for value and key order included. Checked on
 * every column type a case holds (the sample's `events`, whole), on the awkward types and values
 * (64-bit integers past 2^53, NaN, JSON `null`, lists, structs, maps, times before 1970), on
 * statements that cannot be wrapped (a trailing `;`, DDL), and on a sandboxed case.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCase, type Case, type Row } from "../src/index.js";
import { plainCell } from "../src/query/result-rows.js";
import { sampleCase, type SampleCase } from "./helpers/sample-case.js";

let sample: SampleCase;
let c: Case;

beforeAll(async () => {
  sample = await sampleCase("rows");
  c = await openCase(sample.db);
});
afterAll(() => {
  c?.close();
  sample?.cleanup();
});

/** The rows as DuckDB's row objects, converted value by value: what `Case.sql` must return. */
async function reference(sql: string, params: Record<string, string> = {}): Promise<Row[]> {
  const reader = await c.database.connection.runAndReadAll(sql, params);
  const names = reader.columnNames();
  const types = reader.columnTypes();
  return reader.getRowObjectsJS().map((r) => {
    const out: Row = {};
    names.forEach((k, i) => (out[k] = plainCell(r[k], types[i]!)));
    return out;
  });
}

/** Expects `Case.sql` and `Case.pages` to give the reference rows, keys in the same order. */
async function expectSameRows(sql: string, params: Record<string, string> = {}): Promise<Row[]> {
  const want = await reference(sql, params);
  const got = await c.sql(sql, params);
  expect(got.rows).toEqual(want);
  expect(got.rows.map((r) => Object.keys(r))).toEqual(want.map((r) => Object.keys(r)));
  const { pages } = await c.pages(sql, params);
  const paged: Row[] = [];
  for await (const page of pages) paged.push(...page);
  expect(paged).toEqual(want);
  return want;
}

describe("rows from DuckDB results", () => {
  it("should read every column of the events table as the reference conversion does", async () => {
    const rows = await expectSameRows("SELECT * FROM events ORDER BY event_time, event_id");
    expect(rows.length).toBeGreaterThan(10_000);
    // Every kind of value a case holds came through: times, JSON documents, booleans, numbers.
    const first = rows.find((r) => r.request_parameters !== null)!;
    expect(typeof first.request_parameters).toBe("object");
    expect(first.event_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("should read awkward types and values exactly", async () => {
    await expectSameRows(`SELECT * FROM (VALUES
      (9007199254740993::BIGINT, 42::BIGINT, 170141183460469231731687303715884105727::HUGEINT,
       'nan'::DOUBLE, 'inf'::DOUBLE, 0.1::FLOAT, 1.10::DECIMAL(5,2), true, 7::TINYINT,
       'a "quoted" \\ text, ünïcødé 😀'::VARCHAR, '{"big": 12345678901234567890, "n": null}'::JSON,
       'null'::JSON, ['x', NULL, 'y'], [1, 2], {'k': 'v', 'n': 1}, MAP {'a': 1},
       '1969-12-31 23:59:59.9995+00'::TIMESTAMPTZ, '2026-09-01 12:00:00.123456'::TIMESTAMP,
       DATE '2026-09-01', '0b6c1f5e-8a1d-4f7e-9c3b-2d4e5f607182'::UUID, INTERVAL 3 DAY, ['{"a":1}'::JSON]),
      (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL))
      AS t(big, small, huge, nan, inf, f, dec, b, tiny, s, j, jnull, strs, ints, st, m, ts, tsz,
           d, u, iv, jl)`);
  });

  it("should keep the first of columns with the same name", async () => {
    await expectSameRows("SELECT 'a' AS x, 1 AS y, 'b' AS x");
  });

  it("should take parameters, a trailing comment and a trailing semicolon", async () => {
    const sql = `SELECT event_id, event_name FROM events WHERE event_name = $name
      ORDER BY event_id -- the ids, in order`;
    const rows = await expectSameRows(sql, { name: "AssumeRole" });
    expect(rows.length).toBeGreaterThan(0);
    await expectSameRows(sql + "\n;", { name: "AssumeRole" });
    await expectSameRows("SELECT $v AS v, $v || '!' AS w", { v: "text" });
  });

  it("should run statements that are not queries as they are", async () => {
    const w = await openCase(join(sample.dir, "scratch.duckdb"), { writable: true, create: true });
    try {
      expect((await w.sql("CREATE TABLE t AS SELECT 'x' AS s")).rows).toEqual([{ Count: 1 }]);
      expect((await w.sql("SELECT s FROM t")).rows).toEqual([{ s: "x" }]);
    } finally {
      w.close();
    }
  });

  it("should give a sandboxed case the same rows", async () => {
    const s = await openCase(sample.db, { sandbox: true });
    try {
      const sql = "SELECT event_id, event_time, request_parameters FROM events ORDER BY 1 LIMIT 50";
      expect((await s.sql(sql)).rows).toEqual(await reference(sql));
    } finally {
      s.close();
    }
  });
});
