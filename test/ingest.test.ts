import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CASE_STORAGE_VERSION, CaseDatabase } from "../src/store/database.js";
import { ingest, type IngestSummary } from "../src/store/ingest.js";
import { cloudTrailEvent, logFile, writeEdgeCases, type EdgeCases } from "./fixtures/edge-cases.js";

async function query(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = await CaseDatabase.open(db, { readOnly: true });
  try {
    const reader = await c.connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    c.close();
  }
}

describe("ingest of every awkward kind of file", () => {
  let dir: string;
  let cases: EdgeCases;
  let db: string;
  let summary: IngestSummary;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-ingest-"));
    cases = writeEdgeCases(join(dir, "evidence"));
    db = join(dir, "case.duckdb");
    summary = await ingest({ inputs: [cases.root], db });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("should give every file the status and kind it deserves", async () => {
    const rows = await query(
      db,
      "SELECT path, member, kind, status, error_code, event_count FROM source_files",
    );
    for (const e of cases.expectations) {
      const row = rows.find((r) => r.path === e.path && r.member === null);
      expect(row, e.path).toBeDefined();
      expect({ path: e.path, kind: row!.kind, status: row!.status }).toEqual({
        path: e.path,
        kind: e.kind,
        status: e.status,
      });
      if (e.code) expect(row!.error_code).toBe(e.code);
      if (e.events !== undefined) expect(Number(row!.event_count), e.path).toBe(e.events);
    }
  });

  it("should load each unique event once and count the copies as duplicates", async () => {
    const [n] = await query(db, "SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events");
    expect(Number(n!.n)).toBe(cases.eventCount);
    expect(Number(n!.d)).toBe(cases.eventCount);
    expect(summary.records.loaded).toBe(cases.eventCount);
    expect(summary.records.duplicates).toBe(cases.duplicatedIds.length);
    const dups = await query(db, "SELECT event_id FROM duplicate_events ORDER BY event_id");
    expect(dups.map((d) => d.event_id)).toEqual([...cases.duplicatedIds].sort());
  });

  it("should make the counts add up, file by file and in total", async () => {
    expect(summary.checks).toEqual({ recordsAddUp: true, eventsAddUp: true });
    const [t] = await query(
      db,
      `SELECT sum(record_count) AS records, sum(event_count) AS events, sum(loaded_count) AS loaded,
              sum(duplicate_count) AS dups, sum(insight_count) AS insights, sum(set_aside_count) AS aside
       FROM source_files WHERE status = 'loaded'`,
    );
    expect(Number(t!.records)).toBe(Number(t!.events) + Number(t!.insights) + Number(t!.aside));
    expect(Number(t!.events)).toBe(Number(t!.loaded) + Number(t!.dups));
    const [rows] = await query(db, "SELECT count(*) AS n FROM events");
    expect(Number(rows!.n)).toBe(Number(t!.loaded));
    const files = summary.files;
    expect(files.byStatus.loaded + files.byStatus.skipped + files.byStatus.quarantined).toBe(
      files.recorded,
    );
  });

  it("should name the file and the reason of every quarantine", () => {
    const codes = Object.fromEntries(
      summary.quarantined.map((q) => [q.path.split("/").pop(), q.code]),
    );
    expect(codes).toMatchObject({
      "truncated.json.gz": "gzip-truncated",
      "not-really.json.gz": "not-gzip",
      "empty.json.gz": "empty-file",
      "bad-token.json": "malformed-json",
      "bad-shape.json": "malformed-json",
      "too-big-record.json.gz": "too-large",
    });
    for (const q of summary.quarantined) expect(q.reason.length).toBeGreaterThan(5);
    const reason = (name: string) => summary.quarantined.find((q) => q.path.endsWith(name))?.reason;
    // `"readOnly":tru` in the first record: the database's parser names the record.
    expect(reason("bad-token.json")).toBe("malformed JSON: record 0 is not valid JSON");
    expect(reason("too-big-record.json.gz")).toMatch(/^record 0 is 33\.0 MiB, more than/);
  });

  it("should load a file over 16 MiB, a record with 100 KB of parameters, and a 17 MiB record", async () => {
    const wide = cases.wide.record as { eventID: string; requestParameters: { policy: string } };
    const [w] = await query(
      db,
      `SELECT length(request_parameters->>'$.policy') AS n, length(record) AS bytes
       FROM event_records WHERE event_id = '${wide.eventID}'`,
    );
    expect(Number(w!.n)).toBe(100_000);
    expect(Number(w!.bytes)).toBe(JSON.stringify(cases.wide.record).length);
    const huge = cases.huge.record as { eventID: string };
    const [h] = await query(
      db,
      `SELECT length(response_elements->>'$.blob') AS n, md5(record) AS digest
       FROM event_records WHERE event_id = '${huge.eventID}'`,
    );
    expect(Number(h!.n)).toBe(17 << 20);
    expect(h!.digest).toBe(
      createHash("md5").update(JSON.stringify(cases.huge.record)).digest("hex"),
    );
  });

  it("should set aside records that are not events, with their place", async () => {
    const rows = await query(
      db,
      `SELECT s.record_index, s.reason FROM set_aside_records s JOIN source_files f USING (file_id)
       WHERE f.path LIKE '%stray-record.json' ORDER BY 1`,
    );
    expect(rows).toEqual([
      { record_index: 1, reason: "no eventTime" },
      { record_index: 2, reason: "not a JSON object" },
    ]);
  });

  it("should keep Insight events and digests in their own tables", async () => {
    const [i] = await query(
      db,
      "SELECT count(*) AS n, any_value(insight_type) AS t FROM insight_events",
    );
    expect(i).toEqual({ n: "1", t: "ApiCallRateInsight" });
    const [d] = await query(db, "SELECT count(*) AS n FROM digest_log_files");
    expect(Number(d!.n)).toBe(1);
  });

  it("should read bundle members without extracting them, naming the member", async () => {
    const rows = await query(
      db,
      `SELECT member, kind, event_count FROM source_files WHERE parent_file_id IS NOT NULL ORDER BY event_count DESC`,
    );
    expect(rows.map((r) => [r.kind, Number(r.event_count)])).toEqual([
      ["cloudtrail-log", 3],
      ["cloudtrail-log", 2],
      ["cloudtrail-log", 1],
    ]);
    expect(rows.every((r) => String(r.member).length > 0)).toBe(true);
  });

  it("should round-trip every value of a known record", async () => {
    const id = cases.known.record.eventID as string;
    const [row] = await query(db, `SELECT * FROM events WHERE event_id = '${id}'`);
    const r = cases.known.record as Record<string, any>;
    expect(row).toMatchObject({
      event_version: r.eventVersion,
      event_time: "2026-10-05 09:15:42+00",
      event_source: "sts.amazonaws.com",
      event_name: "AssumeRole",
      aws_region: "eu-west-1",
      source_ip: r.sourceIPAddress,
      user_agent: r.userAgent,
      error_code: "AccessDenied",
      error_message: r.errorMessage,
      read_only: false,
      event_type: "AwsApiCall",
      event_category: "Management",
      management_event: true,
      recipient_account_id: "111122223333",
      shared_event_id: r.sharedEventID,
      vpc_endpoint_id: "vpce-0abc",
      request_id: r.requestID,
      identity_type: "AssumedRole",
      principal_arn: r.userIdentity.arn,
      principal_id: r.userIdentity.principalId,
      account_id: "111122223333",
      access_key_id: r.userIdentity.accessKeyId,
      session_issuer_arn: "arn:aws:iam::111122223333:role/Admin",
      session_issuer_type: "Role",
      session_issuer_name: "Admin",
      session_issuer_account_id: "111122223333",
      mfa_authenticated: true,
      session_created_at: "2026-10-05 08:00:00+00",
      source_identity: "alice@example.com",
      actor: "arn:aws:iam::111122223333:role/Admin",
      sts_serving_region: "eu-west-1",
      sts_endpoint_type: "regional",
      tls_host: "sts.eu-west-1.amazonaws.com",
    });
    expect(JSON.parse(String(row!.request_parameters))).toEqual(r.requestParameters);
    expect(JSON.parse(String(row!.additional_event_data))).toEqual(r.additionalEventData);
    expect(JSON.parse(String(row!.resources))).toEqual(r.resources);
    expect(row!.response_elements).toBeNull();
  });

  it("should give back the exact original bytes of every record", async () => {
    const id = cases.known.record.eventID as string;
    const [row] = await query(db, `SELECT record FROM event_records WHERE event_id = '${id}'`);
    const original = gunzipSync(readFileSync(cases.known.path)).toString("utf8");
    expect(original).toContain(String(row!.record));
    expect(JSON.parse(String(row!.record))).toEqual(cases.known.record);
    // Records from a lookup-events file come back as the event, not the JSON string holding it.
    const lookup = await query(
      db,
      `SELECT r.record FROM event_records r JOIN source_files f USING (file_id) WHERE f.kind = 'lookup-events'`,
    );
    expect(lookup).toHaveLength(2);
    for (const l of lookup)
      expect(JSON.parse(String(l.record)).eventSource).toBe("ec2.amazonaws.com");
  });

  it("should store event times in UTC", async () => {
    const [row] = await query(
      db,
      "SELECT current_setting('TimeZone') AS tz, min(event_time)::VARCHAR AS t FROM events",
    );
    expect(row!.tz).toBe("UTC");
    expect(row!.t).toBe("2026-10-04 23:59:59+00");
  });

  it("should add nothing on a second run over the same evidence", async () => {
    const before = await query(
      db,
      "SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM source_files) AS f",
    );
    const again = await ingest({ inputs: [cases.root], db });
    const after = await query(
      db,
      "SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM source_files) AS f",
    );
    expect(after).toEqual(before);
    expect(again.records.loaded).toBe(0);
    expect(again.files.recorded).toBe(0);
    expect(again.files.alreadyInCase).toBeGreaterThan(0);
  });

  it("should add only what is new from a newer export, recognising content not names", async () => {
    const fresh = [cloudTrailEvent(), cloudTrailEvent()];
    const overlap = [fresh[0]!, cloudTrailEvent()];
    const newer = join(dir, "newer");
    const p1 = join(newer, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/06");
    await import("node:fs").then((fs) => fs.mkdirSync(p1, { recursive: true }));
    writeFileSync(join(p1, "a.json.gz"), gzipSync(logFile(fresh)));
    writeFileSync(join(p1, "b.json.gz"), gzipSync(logFile(overlap)));
    // Known bytes under a new name: recorded as a duplicate file, nothing loaded from it.
    writeFileSync(join(p1, "renamed.json.gz"), readFileSync(cases.known.path));
    const s = await ingest({ inputs: [newer], db });
    expect(s.records.loaded).toBe(3);
    expect(s.records.duplicates).toBe(1);
    expect(s.files.byKind["duplicate-file"]).toEqual({ skipped: 1 });
  });

  it("should hash every file with SHA-256 of its bytes as stored", async () => {
    const rows = await query(
      db,
      `SELECT sha256 FROM source_files WHERE path = '${cases.known.path}'`,
    );
    const sha = createHash("sha256").update(readFileSync(cases.known.path)).digest("hex");
    expect(rows[0]!.sha256).toBe(sha);
  });

  it("should write the case in DuckDB 1.5's storage format", async () => {
    const [row] = await query(
      db,
      "SELECT tags['storage_version'] AS v FROM duckdb_databases() WHERE database_name = current_database()",
    );
    expect(row!.v).toBe(`${CASE_STORAGE_VERSION}+`);
  });

  it("should report where the loader's time went", () => {
    const p = summary.phases;
    for (const seconds of Object.values(p)) expect(seconds).toBeGreaterThanOrEqual(0);
    // One loader by default: its phases follow one another within the run.
    const busy = p.inserting + p.leftovers + p.committing + p.deduplicating;
    expect(p.waiting + busy).toBeLessThanOrEqual(summary.elapsedSeconds);
    expect(p.deduplicating).toBeGreaterThan(0);
    // The edge cases hold Insight events and set-aside records: their files are sorted out.
    expect(p.inserting).toBeGreaterThan(0);
    expect(p.leftovers).toBeGreaterThan(0);
  });
});
