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
  type DuckDBVector,
} from "@duckdb/node-api";
import { gunzipSync } from "node:zlib";

const CACHE_BYTES = 256 << 20;

class ContentCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  /** The decompressed bytes of the file with this hash, when they are cached. */
  find(sha256: string): Buffer | undefined {
    const hit = this.entries.get(sha256);
    if (hit) {
      // Re-insert: Map order is the eviction order.
      this.entries.delete(sha256);
      this.entries.set(sha256, hit);
    }
    return hit;
  }

  /** Decompresses a file's kept bytes and caches them under its hash. */
  add(sha256: string, gzipContent: Uint8Array): Buffer {
    const content = gunzipSync(gzipContent);
    this.entries.set(sha256, content);
    this.bytes += content.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= CACHE_BYTES || key === sha256) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
    return content;
  }

  get(sha256: string, gzipContent: Uint8Array): Buffer {
    return this.find(sha256) ?? this.add(sha256, gzipContent);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

/** One for the process: the bytes of a hash are the same whichever case file holds them. */
const cache = new ContentCache();

/**
 * Forgets the decompressed files kept for reading records (up to 256 MB): for a long-lived
 * process (a notebook kernel) after a large scan, and for tests that need to start cold.
 */
export function clearRecordCache(): void {
  cache.clear();
}

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
  return recordText(cache.get(sha256, gzipContent), offset, length, encoding);
}

/** The record of one row of a function's input, from its file's decompressed bytes. */
function rowRecord(
  content: Buffer,
  offset: DuckDBVector,
  length: DuckDBVector,
  encoding: DuckDBVector,
  row: number,
): string {
  return recordText(
    content,
    Number(offset.getItem(row)),
    Number(length.getItem(row)),
    String(encoding.getItem(row)),
  );
}

/**
 * An event's original record as SQL, for a query joining `events e` to `source_contents c`: from
 * the cache when its file is there, and only otherwise from the file's bytes, which DuckDB
 * copies into the function's input on every row it passes them (see the note below). The
 * `event_records` view and the schema upgrade both read records through it.
 */
export const ORIGINAL_RECORD_SQL = `coalesce(
    cloudtrail_cached_record(c.sha256, e.record_offset, e.record_length, e.record_encoding),
    cloudtrail_record(c.sha256, c.content, e.record_offset, e.record_length, e.record_encoding)
  )`;

/**
 * Registers, on a connection, the functions that read records back. They exist only on
 * connections this package opens: a plain DuckDB shell sees the same tables but has no way to
 * decompress the kept bytes.
 *
 * - `cloudtrail_record(sha256, content, offset, length, encoding)`: the record, from its file's
 *   hash and kept bytes. `content` is read only when the file is not in the cache: the kept bytes
 *   of one hash are the same in every row (`source_contents` is keyed by it). NULL when `sha256`
 *   is NULL, or when `content` had to be read and is NULL.
 * - `cloudtrail_cached_record(sha256, offset, length, encoding)`: the record when its file is in
 *   the cache, else NULL. It takes no bytes, which is the point: see `event_records`.
 *
 * Why two: DuckDB hands a function every argument of every row, and for a BLOB that means
 * copying the whole kept file into the function's input once per record, whether the function
 * reads it or not. The sample's 10,000-event file (1.3 MB) made a full scan of `event_records`
 * copy 13 GB that way. The view asks `cloudtrail_cached_record` first and passes the bytes to
 * `cloudtrail_record` only for the rows it left NULL (DuckDB evaluates `coalesce` arguments only
 * for the rows still NULL): a file's bytes travel once per row of the first chunk of rows
 * (about 2,048) that reaches it, and not again while it stays cached. Either function gives the
 * same record, so which one answers a row changes the time taken, never the result.
 *
 * Note: a query whose rows alternate between files that do not fit in the cache together (256 MB
 * decompressed) still passes the bytes on most rows, as the view did before: correct, and as
 * slow as it was. Making that fast needs records read per file (as `originalRecords` does) or
 * kept per record, which is the ingest's choice, not this function's.
 */
export function registerRecordFunctions(connection: DuckDBConnection): void {
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
          const sha256 = sha.getItem(row);
          if (typeof sha256 !== "string") {
            output.setItem(row, null);
            continue;
          }
          try {
            // Reading a BLOB item copies it again, into JS: only on a miss.
            let content = cache.find(sha256);
            if (content === undefined) {
              const kept = blob.getItem(row);
              if (!(kept instanceof DuckDBBlobValue)) {
                output.setItem(row, null);
                continue;
              }
              content = cache.add(sha256, kept.bytes);
            }
            output.setItem(row, rowRecord(content, offset, length, encoding, row));
          } catch (e) {
            info.setError(`cloudtrail_record: ${(e as Error).message}`);
            return;
          }
        }
        output.flush();
      },
    }),
  );
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: "cloudtrail_cached_record",
      returnType: VARCHAR,
      parameterTypes: [VARCHAR, BIGINT, INTEGER, VARCHAR],
      mainFunction: (info, input, output) => {
        const sha = input.getColumnVector(0);
        const offset = input.getColumnVector(1);
        const length = input.getColumnVector(2);
        const encoding = input.getColumnVector(3);
        for (let row = 0; row < input.rowCount; row++) {
          const sha256 = sha.getItem(row);
          const content = typeof sha256 === "string" ? cache.find(sha256) : undefined;
          if (content === undefined) {
            output.setItem(row, null);
            continue;
          }
          try {
            output.setItem(row, rowRecord(content, offset, length, encoding, row));
          } catch (e) {
            info.setError(`cloudtrail_cached_record: ${(e as Error).message}`);
            return;
          }
        }
        output.flush();
      },
    }),
  );
}
