/**
 * Ingest of the real-world shapes in ../shared/datasets/real (see its MANIFEST.md): every file
 * ends loaded, skipped by kind or quarantined with a reason, the counts add up, and the events
 * found match the manifest's counts for the shapes trailbook reads.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaseDatabase } from "../src/store/database.js";
import { ingest, type IngestSummary } from "../src/store/ingest.js";
import { HAVE_REAL_DATASETS, REAL_DATASETS } from "./fixtures/real-datasets.js";

if (!HAVE_REAL_DATASETS) {
  console.warn(`ingest-real: ${REAL_DATASETS} is absent, skipping the real-world shapes`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

interface FolderCounts {
  files: number;
  records: number;
  events: number;
  loaded: number;
  duplicates: number;
  insights: number;
  setAside: number;
  quarantined: number;
}

describe.skipIf(!HAVE_REAL_DATASETS)("ingest of the real-world shapes", () => {
  let dir: string;
  let db: string;
  let summary: IngestSummary;
  let byFolder: Map<string, FolderCounts>;

  async function rows(sql: string): Promise<Record<string, unknown>[]> {
    const c = await CaseDatabase.open(db, { readOnly: true });
    try {
      return (await c.connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    } finally {
      c.close();
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-real-"));
    db = join(dir, "case.duckdb");
    summary = await ingest({ inputs: [REAL_DATASETS], db });
    // 1-based, past the folder and its slash.
    const prefix = REAL_DATASETS.length + 2;
    const perFolder = await rows(`
      SELECT split_part(substr(path, ${prefix}), '/', 1) AS folder,
        count(*)::INTEGER AS files, sum(record_count)::INTEGER AS records,
        sum(event_count)::INTEGER AS events, sum(loaded_count)::INTEGER AS loaded,
        sum(duplicate_count)::INTEGER AS duplicates, sum(insight_count)::INTEGER AS insights,
        sum(set_aside_count)::INTEGER AS "setAside",
        count(*) FILTER (status = 'quarantined')::INTEGER AS quarantined
      FROM source_files GROUP BY ALL`);
    byFolder = new Map(perFolder.map((r) => [String(r.folder), r as unknown as FolderCounts]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("should record every file on disk and every bundle member, each with a fate", async () => {
    const onDisk = filesUnder(REAL_DATASETS).length;
    const files = await rows(
      "SELECT path, member, kind, status, error, error_code FROM source_files",
    );
    expect(files.filter((f) => f.member === null)).toHaveLength(onDisk);
    expect(summary.files.recorded).toBe(files.length);
    for (const f of files) {
      const where = `${f.path}${f.member ? `!/${f.member}` : ""}`;
      expect(["loaded", "skipped", "quarantined"], where).toContain(f.status);
      if (f.status === "skipped") expect(f.kind, where).not.toBe("unknown");
      if (f.status === "quarantined") {
        expect(String(f.error_code), where).not.toBe("null");
        expect(String(f.error).length, where).toBeGreaterThan(10);
      }
    }
  });

  it("should make the counts add up for every file and in total", async () => {
    const bad = await rows(`
      SELECT path, member FROM source_files
      WHERE record_count <> event_count + insight_count + set_aside_count
         OR event_count <> loaded_count + duplicate_count`);
    expect(bad).toEqual([]);
    const [t] = await rows(`
      SELECT (SELECT count(*) FROM events)::INTEGER AS events,
        (SELECT sum(loaded_count) FROM source_files)::INTEGER AS loaded,
        (SELECT count(*) FROM duplicate_events)::INTEGER AS duplicates,
        (SELECT sum(duplicate_count) FROM source_files)::INTEGER AS "duplicateCount",
        (SELECT count(*) FROM set_aside_records)::INTEGER AS "setAside",
        (SELECT sum(set_aside_count) FROM source_files)::INTEGER AS "setAsideCount",
        (SELECT count(*) FROM insight_events)::INTEGER AS insights`);
    expect(t!.events).toBe(t!.loaded);
    expect(t!.duplicates).toBe(t!.duplicateCount);
    expect(t!.setAside).toBe(t!.setAsideCount);
    expect(summary.checks).toEqual({ recordsAddUp: true, eventsAddUp: true });
    expect(summary.records.loaded).toBe(t!.events);
    expect(summary.records.insights).toBe(t!.insights);
  });

  it("should find the events the manifest counts, in the shapes trailbook reads", () => {
    const folder = (name: string) => byFolder.get(name)!;
    // JSON arrays, and two single objects with Lake-style times: 312 events.
    expect(folder("DataDog_stratus-red-team").events).toBe(312);
    // Logstash NDJSON in a zip, eventTime moved to @timestamp: 103 events.
    expect(folder("OTRF_Security-Datasets").events).toBe(103);
    // LookupEvents JSON-L (6) and a Records file (7 events, 2 Insight events): 15.
    const plaso = folder("log2timeline_plaso");
    expect(plaso.events + plaso.insights).toBe(15);
    expect(plaso.insights).toBe(2);
    // A Records file (6 events, 1 Insight) and a CloudWatch Logs subscription (1): 8.
    const otel = folder("open-telemetry_opentelemetry-collector-contrib");
    expect(otel.events + otel.insights).toBe(8);
    // 20 EventBridge envelopes and bare events; one has no eventTime at all and is set aside.
    const custodian = folder("cloud-custodian_cloud-custodian");
    expect(custodian.events + custodian.setAside).toBe(20);
    expect(custodian.setAside).toBe(1);
  });

  it("should quarantine the broken files the collection holds, naming them", () => {
    const quarantined = summary.quarantined.map((q) => ({
      file: (q.member ?? q.path).split("/").pop(),
      code: q.code,
    }));
    expect(quarantined).toEqual(
      expect.arrayContaining([
        // The library's own malformed-JSON test file.
        { file: "SerializerTestFileBadJsonFormat.json", code: "malformed-json" },
        // A Datadog export whose records lack the comma between them (line 112): broken JSON,
        // so its 3 events are not guessed at; the zip's 3 other files (12 events) load.
        { file: "aws.execution.ec2-user-data.json", code: "malformed-json" },
      ]),
    );
    expect(quarantined).toHaveLength(2);
    expect(byFolder.get("zmallen_cloudtrail2sightings")!.events).toBe(12);
  });

  it("should set records aside with a reason rather than drop them", async () => {
    const reasons = await rows(
      "SELECT DISTINCT reason FROM set_aside_records s JOIN source_files f USING (file_id) WHERE f.path LIKE '%aws-cloudtrail-processing-library%'",
    );
    expect(reasons.map((r) => r.reason)).toEqual(
      expect.arrayContaining(["no eventTime", "eventTime is not a time: ThisIsAWrongEventTime"]),
    );
  });

  it("should skip, by kind, the shapes that hold no loadable events", async () => {
    const kinds = await rows(`
      SELECT split_part(substr(path, ${REAL_DATASETS.length + 2}), '/', 1) AS folder,
        list(DISTINCT kind ORDER BY kind) AS kinds
      FROM source_files WHERE status = 'skipped' AND kind <> 'text' GROUP BY ALL`);
    const of = (folder: string) => kinds.find((k) => k.folder === folder)?.kinds;
    expect(of("Azure_Azure-Sentinel")).toEqual(["csv"]);
    expect(of("panther-labs_panther-analysis")).toEqual(["yaml"]);
    // StreamAlert's test cases wrap payloads in {"data": ...}: a test harness, not an export.
    expect(of("airbnb_streamalert")).toEqual(["json-unrecognised"]);
    expect(of("salesforce_cloudsplaining")).toContain("iam-authorization-details");
    expect(of("duo-labs_cloudmapper")).toEqual(
      expect.arrayContaining(["iam-authorization-details", "iam-role"]),
    );
  });

  it("should add nothing when the same evidence is loaded again", async () => {
    const again = await ingest({ inputs: [REAL_DATASETS], db });
    expect(again.files.recorded).toBe(0);
    expect(again.records.loaded).toBe(0);
    // Bundles are recognised whole, so the files on disk are what is seen again.
    expect(again.files.alreadyInCase).toBe(filesUnder(REAL_DATASETS).length);
  });
});
