/**
 * The bundled sample evidence ingested into a temporary case file, with what the generator says
 * the answers are (`sample-data/expected.json`) and the original records, read back from the
 * case, for computing expectations in JS independently of the SQL under test.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingest, openCase, originalRecords } from "../../src/index.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const SAMPLE = join(ROOT, "sample-data");

export interface ExpectedOutsideCall {
  eventId: string;
  eventName: string;
  requestedRegion: string;
  awsRegion: string;
  endpointType: string;
  principal: string;
  identityType: string;
  recipientAccountId: string;
  errorCode: string | null;
}

export interface Expected {
  allowedRegions: string[];
  sts: {
    total: number;
    outsideAllowedRegions: ExpectedOutsideCall[];
    serviceOutsideAllowedRegions: { count: number; eventIds: string[] };
    globalServedElsewhere: { eventId: string; awsServingRegion: string }[];
    byRequestedRegion: Record<string, number>;
  };
  anomalies: { kind: string; principalArn: string; eventIds: string[] }[];
  counts: { distinctEventIds: number };
}

export interface SampleCase {
  dir: string;
  db: string;
  expected: Expected;
  /** Every event of the case as its original record (parsed), in time order. */
  records: Record<string, any>[];
  cleanup(): void;
}

/** Time order as the queries sort: by eventTime, then eventID compared as bytes. */
export function byTime(a: Record<string, any>, b: Record<string, any>): number {
  const ta = Date.parse(a.eventTime);
  const tb = Date.parse(b.eventTime);
  if (ta !== tb) return ta - tb;
  return a.eventID < b.eventID ? -1 : a.eventID > b.eventID ? 1 : 0;
}

export async function sampleCase(prefix: string): Promise<SampleCase> {
  const dir = mkdtempSync(join(tmpdir(), `trailbook-${prefix}-`));
  const db = join(dir, "case.duckdb");
  await ingest({ inputs: [join(SAMPLE, "evidence")], db });
  const expected = JSON.parse(readFileSync(join(SAMPLE, "expected.json"), "utf8")) as Expected;
  const c = await openCase(db);
  const records: Record<string, any>[] = [];
  try {
    for await (const page of originalRecords(c)) {
      for (const r of page) records.push(r.record);
    }
    records.sort(byTime);
  } finally {
    c.close();
  }
  return {
    dir,
    db,
    expected,
    records,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
