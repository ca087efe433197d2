/**
 * Digest files: CloudTrail's hourly list of the log files it delivered, with their SHA-256. Kept
 * so that a later integrity check can tell which delivered files the evidence lacks or altered.
 */
import type { DuckDBConnection } from "@duckdb/node-api";

interface DigestDocument {
  awsAccountId?: unknown;
  digestStartTime?: unknown;
  digestEndTime?: unknown;
  digestS3Bucket?: unknown;
  digestS3Object?: unknown;
  previousDigestS3Object?: unknown;
  previousDigestHashValue?: unknown;
  previousDigestSignature?: unknown;
  digestPublicKeyFingerprint?: unknown;
  digestSignatureAlgorithm?: unknown;
  logFiles?: unknown;
}

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);

/** Inserts one digest and its log-file list; times that do not parse are kept as NULL. */
export async function appendDigest(
  c: DuckDBConnection,
  fileId: number,
  document: unknown,
): Promise<void> {
  const d = (document ?? {}) as DigestDocument;
  await c.run(
    `INSERT INTO digest_files VALUES ($1, $2, try_cast($3 AS TIMESTAMPTZ), try_cast($4 AS TIMESTAMPTZ),
       $5, $6, $7, $8, $9, $10, $11, $12::JSON)`,
    [
      fileId,
      text(d.awsAccountId),
      text(d.digestStartTime),
      text(d.digestEndTime),
      text(d.digestS3Bucket),
      text(d.digestS3Object),
      text(d.previousDigestS3Object),
      text(d.previousDigestHashValue),
      text(d.previousDigestSignature),
      text(d.digestPublicKeyFingerprint),
      text(d.digestSignatureAlgorithm),
      JSON.stringify(document),
    ],
  );
  const logFiles = Array.isArray(d.logFiles) ? (d.logFiles as Record<string, unknown>[]) : [];
  if (logFiles.length === 0) return;
  // One statement for the whole list: the document's own JSON, unnested by DuckDB.
  await c.run(
    `INSERT INTO digest_log_files
     SELECT $1, f->>'s3Bucket', f->>'s3Object', f->>'hashValue', f->>'hashAlgorithm',
       try_cast(f->>'oldestEventTime' AS TIMESTAMPTZ), try_cast(f->>'newestEventTime' AS TIMESTAMPTZ)
     FROM (SELECT unnest(from_json($2::JSON, '["JSON"]')) AS f)`,
    [fileId, JSON.stringify(logFiles)],
  );
}
