/**
 * Reading an event's original record back from the file bytes the case keeps.
 *
 * A record is a byte range of its decompressed source file. Decompressing costs about a
 * millisecond per megabyte, so recently read files are cached (by content hash) while a query
 * walks many records of the same file.
 */
import {
  DuckDBBlobValue,
  DuckDBScalarFunction,
  VARCHAR,
  BIGINT,
  INTEGER,
  BLOB,
  type DuckDBConnection,
} from "@duckdb/node-api";
import { gunzipSync } from "node:zlib";

const CACHE_BYTES = 256 << 20;

class ContentCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  get(sha256: string, compressed: () => Uint8Array): Buffer {
    const hit = this.entries.get(sha256);
    if (hit) {
      // Re-insert: Map order is the eviction order.
      this.entries.delete(sha256);
      this.entries.set(sha256, hit);
      return hit;
    }
    const content = gunzipSync(compressed());
    this.entries.set(sha256, content);
    this.bytes += content.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= CACHE_BYTES || key === sha256) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
    return content;
  }
}

const cache = new ContentCache();

/** The record's JSON text, from the decompressed file and the record's place in it. */
export function recordText(
  content: Buffer,
  offset: number,
  length: number,
  encoding: string,
): string {
  const text = content.toString("utf8", offset, offset + length);
  return encoding === "json-string" ? (JSON.parse(text) as string) : text;
}

/** The record of one row, given its file's kept (gzip) bytes. */
export function readRecord(
  sha256: string,
  gzipContent: Uint8Array,
  offset: number,
  length: number,
  encoding: string,
): string {
  return recordText(
    cache.get(sha256, () => gzipContent),
    offset,
    length,
    encoding,
  );
}

/**
 * Registers `cloudtrail_record(sha256, content, offset, length, encoding)` on a connection. It
 * exists only on connections this package opens: a plain DuckDB shell sees the same tables but
 * has no way to decompress the kept bytes.
 */
export function registerRecordFunction(connection: DuckDBConnection): void {
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: "cloudtrail_record",
      returnType: VARCHAR,
      parameterTypes: [VARCHAR, BLOB, BIGINT, INTEGER, VARCHAR],
      mainFunction: (info, input, output) => {
        const sha = input.getColumnVector(0);
        const blob = input.getColumnVector(1);
        const offset = input.getColumnVector(2);
        const length = input.getColumnVector(3);
        const encoding = input.getColumnVector(4);
        for (let row = 0; row < input.rowCount; row++) {
          const content = blob.getItem(row);
          if (!(content instanceof DuckDBBlobValue)) {
            output.setItem(row, null);
            continue;
          }
          try {
            output.setItem(
              row,
              readRecord(
                String(sha.getItem(row)),
                content.bytes,
                Number(offset.getItem(row)),
                Number(length.getItem(row)),
                String(encoding.getItem(row)),
              ),
            );
          } catch (e) {
            info.setError(`cloudtrail_record: ${(e as Error).message}`);
            return;
          }
        }
        output.flush();
      },
    }),
  );
}
