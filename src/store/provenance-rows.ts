/**
 * The provenance rows a commit unit writes: one `source_files` row per file (with what became of
 * its records), its kept bytes in `source_contents` (once per content), and the records the
 * readers set aside themselves. Written with appenders, inside the unit's transaction.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { parseS3Location } from "../archive/discover.js";
import type { FileResult } from "../archive/evidence-reader.js";
import type { FileStatus } from "../archive/kinds.js";
import { appendDigest } from "./digest.js";

/** What became of the records of one file in a commit unit. */
export interface FileCounts {
  loaded: number;
  duplicates: number;
  insights: number;
  setAside: number;
}

/** Records the readers set aside themselves (they are not JSON objects). */
export async function appendSetAside(
  c: DuckDBConnection,
  files: FileResult[],
  counts: Map<number, FileCounts>,
  invalid: Map<number, string>,
): Promise<void> {
  const withSetAside = files.filter((f) => f.setAside.length > 0 && !invalid.has(f.fileId));
  if (withSetAside.length === 0) return;
  const rows = await c.createAppender("set_aside_records");
  try {
    for (const f of withSetAside) {
      for (const r of f.setAside) {
        rows.appendInteger(f.fileId);
        rows.appendInteger(r.index);
        rows.appendVarchar(r.reason);
        rows.appendBigInt(BigInt(r.offset));
        rows.appendInteger(r.length);
        rows.appendVarchar(r.encoding);
        rows.endRow();
      }
      counts.get(f.fileId)!.setAside += f.setAside.length;
    }
    rows.flushSync();
  } finally {
    rows.closeSync();
  }
}

export async function appendFiles(
  c: DuckDBConnection,
  runId: number,
  files: FileResult[],
  counts: Map<number, FileCounts>,
  invalid: Map<number, string>,
  storedContent: Set<string>,
): Promise<void> {
  const fileRows = await c.createAppender("source_files");
  const contentRows = await c.createAppender("source_contents");
  try {
    for (const f of files) {
      const n = counts.get(f.fileId) ?? { loaded: 0, duplicates: 0, insights: 0, setAside: 0 };
      const bad = invalid.get(f.fileId);
      const status: FileStatus = bad ? "quarantined" : f.status;
      const s3 = parseS3Location(f.member ?? f.path);
      const events = bad ? 0 : n.loaded + n.duplicates;
      fileRows.appendInteger(f.fileId);
      fileRows.appendInteger(runId);
      fileRows.appendVarchar(f.path);
      appendNullable(fileRows, f.member);
      if (f.parentFileId === null) fileRows.appendNull();
      else fileRows.appendInteger(f.parentFileId);
      fileRows.appendBigInt(BigInt(f.size));
      fileRows.appendVarchar(f.sha256);
      fileRows.appendVarchar(f.kind);
      fileRows.appendVarchar(status);
      appendNullable(fileRows, bad ?? f.error);
      appendNullable(fileRows, bad ? "malformed-json" : f.errorCode);
      fileRows.appendInteger(f.recordCount);
      fileRows.appendInteger(events);
      fileRows.appendInteger(bad ? 0 : n.loaded);
      fileRows.appendInteger(bad ? 0 : n.duplicates);
      fileRows.appendInteger(bad ? 0 : n.insights);
      fileRows.appendInteger(bad ? 0 : n.setAside);
      appendNullable(fileRows, s3?.orgId ?? null);
      appendNullable(fileRows, s3?.accountId ?? null);
      appendNullable(fileRows, s3?.region ?? null);
      appendNullable(fileRows, s3?.date ?? null);
      if (f.duplicateOf === undefined) fileRows.appendNull();
      else fileRows.appendInteger(f.duplicateOf);
      fileRows.endRow();
      if (f.content && !storedContent.has(f.sha256)) {
        contentRows.appendVarchar(f.sha256);
        contentRows.appendBoolean(f.contentGzipped);
        contentRows.appendBlob(f.content);
        contentRows.endRow();
        storedContent.add(f.sha256);
      }
    }
    fileRows.flushSync();
    contentRows.flushSync();
  } finally {
    fileRows.closeSync();
    contentRows.closeSync();
  }
  for (const f of files) {
    if (f.kind === "cloudtrail-digest" && f.digest !== undefined)
      await appendDigest(c, f.fileId, f.digest);
  }
}

function appendNullable(
  appender: { appendVarchar(v: string): void; appendNull(): void },
  value: string | null | undefined,
): void {
  if (value === null || value === undefined) appender.appendNull();
  else appender.appendVarchar(value);
}
