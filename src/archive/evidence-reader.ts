/**
 * Turns evidence files into batches the case file can load: for each file a provenance result,
 * and for the files holding records, lines in a chunk file.
 *
 * Runs inside a reader worker. A batch closes only between files (or between bundle members),
 * so a file's records always travel together and are committed, or lost, together.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { BundleError } from "./bundle-error.js";
import { ChunkWriter } from "./chunk-writer.js";
import type { FileKind, FileStatus, QuarantineCode } from "./kinds.js";
import { classify, decode, ReadError, type RecordRef } from "./read.js";
import { tarMembers } from "./tar.js";
import { zipMembers } from "./zip.js";

/** What became of one file (or bundle member). */
export interface FileResult {
  fileId: number;
  path: string;
  member: string | null;
  parentFileId: number | null;
  size: number;
  sha256: string;
  kind: FileKind;
  status: FileStatus;
  error: string | null;
  errorCode: QuarantineCode | null;
  /** Records written to the batch's chunk for this file. */
  recordCount: number;
  /**
   * The bytes kept in the case as evidence: the original bytes when they are gzip, else a gzip
   * of them. Null for files skipped by kind and for content already in the case.
   */
  content: Uint8Array | null;
  contentGzipped: boolean;
  /** Records the reader set aside itself (not JSON objects); the others are in the chunk. */
  setAside: SetAsideRecord[];
  /** For a digest file, its parsed document. */
  digest?: unknown;
  /** For a `duplicate-file`, the file whose content it repeats. */
  duplicateOf?: number;
}

export interface SetAsideRecord {
  index: number;
  offset: number;
  length: number;
  encoding: "json" | "json-string";
  reason: string;
}

export interface Batch {
  /** The chunk of record lines, or null when no file of the batch held records. */
  chunkPath: string | null;
  lines: number;
  bytes: number;
  files: FileResult[];
  /** Files whose path and content were both already in the case: nothing to record. */
  alreadyInCase: number;
}

/** Content already in the case: sha256 -> the file that holds it and the places it was seen. */
export type KnownContent = Map<string, { fileId: number; places: Set<string> }>;

export function placeKey(path: string, member: string | null): string {
  return member === null ? path : `${path}!/${member}`;
}

export interface EvidenceReaderOptions {
  chunkDir: string;
  /** A batch closes once its chunk holds about this many bytes. */
  chunkBytes: number;
  /**
   * The size at which this reader's first batch closes (default: chunkBytes). A small first
   * batch lets the database start while the reader fills the next ones.
   */
  firstChunkBytes?: number;
  known: KnownContent;
  nextFileId: () => number;
  onBatch: (batch: Batch) => void;
  /** Unique among all readers writing into chunkDir. */
  readerId: number;
  /** Quarantined files larger than this are described but their bytes are not kept. */
  maxQuarantinedBytes?: number;
}

const NESTING_LIMIT = 4;

/** Kept below the line length the database reads (store/load-sql.ts), with room for the prefix. */
export const MAX_RECORD_BYTES = (32 << 20) - 1024;

export class EvidenceReader {
  private chunk: ChunkWriter | null = null;
  private files: FileResult[] = [];
  private alreadyInCase = 0;
  private chunkSeq = 0;
  private batchesClosed = 0;

  constructor(private readonly options: EvidenceReaderOptions) {}

  /** Reads one file from disk, whatever it holds; never throws for bad input. */
  readPath(path: string): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      this.push(this.broken(path, null, null, 0, "", "unreadable", (e as Error).message));
      this.maybeCloseBatch();
      return;
    }
    this.readBytes(path, null, null, bytes, 0);
    this.maybeCloseBatch();
  }

  /** Emits the last batch (if anything is pending). */
  finish(): void {
    this.closeBatch();
  }

  private readBytes(
    path: string,
    member: string | null,
    parentFileId: number | null,
    bytes: Buffer,
    depth: number,
  ): void {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const place = placeKey(path, member);
    const known = this.options.known.get(sha256);
    if (known) {
      if (known.places.has(place)) {
        this.alreadyInCase++;
        return;
      }
      this.push({
        ...this.base(path, member, parentFileId, bytes.length, sha256),
        kind: "duplicate-file",
        status: "skipped",
        duplicateOf: known.fileId,
        error: `same content as file ${known.fileId}, already in the case`,
      });
      return;
    }
    const name = member ?? path;
    const fileId = this.options.nextFileId();
    const result: FileResult = {
      ...this.base(path, member, parentFileId, bytes.length, sha256),
      fileId,
    };

    let decoded;
    try {
      decoded = decode(name, bytes);
    } catch (e) {
      if (!(e instanceof ReadError)) throw e;
      this.push(this.quarantine(result, bytes, e.code, e.message));
      return;
    }
    const verdict = classify(name, decoded);
    switch (verdict.status) {
      case "quarantined":
        this.push(
          this.quarantine({ ...result, kind: verdict.kind }, bytes, verdict.code, verdict.reason),
        );
        return;
      case "skipped":
        this.push({ ...result, kind: verdict.kind, status: "skipped", error: verdict.reason });
        return;
      case "digest":
        this.push({
          ...result,
          kind: "cloudtrail-digest",
          status: "loaded",
          digest: verdict.document,
          ...this.keep(bytes, decoded.gzipped),
        });
        return;
      case "bundle":
        this.readBundle(result, verdict.kind, verdict.data, depth);
        return;
      case "load": {
        const huge = verdict.records.find(
          (r) => (r.line?.length ?? r.end - r.start) > MAX_RECORD_BYTES,
        );
        if (huge) {
          const mb = ((huge.end - huge.start) / 1048576).toFixed(1);
          const reason = `record ${huge.index} is ${mb} MiB, more than a record may hold`;
          this.push(this.quarantine({ ...result, kind: verdict.kind }, bytes, "too-large", reason));
          return;
        }
        this.writeRecords(fileId, decoded.content, verdict.records);
        this.push({
          ...result,
          kind: verdict.kind,
          status: "loaded",
          recordCount: verdict.records.length,
          setAside: verdict.records
            .filter((r) => r.setAside !== undefined)
            .map((r) => ({
              index: r.index,
              offset: r.start,
              length: r.end - r.start,
              encoding: r.encoding,
              reason: r.setAside!,
            })),
          ...this.keep(bytes, decoded.gzipped),
        });
      }
    }
  }

  private readBundle(
    bundle: FileResult,
    kind: "zip-bundle" | "tar-bundle",
    data: Buffer,
    depth: number,
  ): void {
    const inner = (name: string) => (bundle.member === null ? name : `${bundle.member}!/${name}`);
    if (depth >= NESTING_LIMIT) {
      this.push({
        ...bundle,
        kind,
        status: "skipped",
        error: `bundle nested deeper than ${NESTING_LIMIT}`,
      });
      return;
    }
    try {
      if (kind === "zip-bundle") {
        for (const { member, read } of zipMembers(data, placeKey(bundle.path, bundle.member))) {
          if (member.isDirectory) continue;
          let bytes: Buffer;
          try {
            bytes = read();
          } catch (e) {
            if (!(e instanceof BundleError)) throw e;
            const id = this.options.nextFileId();
            this.push(
              this.broken(
                bundle.path,
                inner(member.name),
                bundle.fileId,
                member.compressedSize,
                "",
                "bundle-corrupt",
                e.message,
                id,
              ),
            );
            continue;
          }
          this.readBytes(bundle.path, inner(member.name), bundle.fileId, bytes, depth + 1);
          this.maybeCloseBatch();
        }
      } else {
        for (const entry of tarMembers(data, placeKey(bundle.path, bundle.member))) {
          if (entry.type !== "file") continue;
          this.readBytes(bundle.path, inner(entry.name), bundle.fileId, entry.data, depth + 1);
          this.maybeCloseBatch();
        }
      }
    } catch (e) {
      if (!(e instanceof BundleError)) throw e;
      // Members read before the damage are kept; the bundle says why the rest could not be read.
      this.push({
        ...bundle,
        kind,
        status: "quarantined",
        errorCode: "bundle-corrupt",
        error: e.message,
      });
      return;
    }
    // Pushed after its members, so it is committed with (or after) the last of them: a bundle
    // the case calls done is one whose members are all in.
    this.push({ ...bundle, kind, status: "loaded" });
  }

  private writeRecords(fileId: number, content: Buffer, records: RecordRef[]): void {
    if (this.chunk === null) {
      const name = `chunk-${this.options.readerId}-${this.chunkSeq++}.ndjson`;
      this.chunk = new ChunkWriter(join(this.options.chunkDir, name));
    }
    for (const r of records) {
      if (r.setAside !== undefined) continue;
      const text = r.line ?? content.subarray(r.start, r.end);
      this.chunk.write(
        fileId,
        r.index,
        r.start,
        r.end - r.start,
        r.encoding === "json" ? 0 : 1,
        text,
      );
    }
  }

  private keep(bytes: Buffer, gzipped: boolean): Pick<FileResult, "content" | "contentGzipped"> {
    if (gzipped) return { content: bytes, contentGzipped: true };
    return { content: gzipSync(bytes, { level: 1 }), contentGzipped: false };
  }

  private quarantine(
    result: FileResult,
    bytes: Buffer,
    code: QuarantineCode,
    reason: string,
  ): FileResult {
    const limit = this.options.maxQuarantinedBytes ?? 64 << 20;
    const keep = bytes.length > 0 && bytes.length <= limit ? this.keep(bytes, false) : {};
    return { ...result, status: "quarantined", errorCode: code, error: reason, ...keep };
  }

  private broken(
    path: string,
    member: string | null,
    parentFileId: number | null,
    size: number,
    sha256: string,
    code: QuarantineCode,
    reason: string,
    fileId = this.options.nextFileId(),
  ): FileResult {
    return {
      ...this.base(path, member, parentFileId, size, sha256),
      fileId,
      kind: "unknown",
      status: "quarantined",
      errorCode: code,
      error: reason,
    };
  }

  private base(
    path: string,
    member: string | null,
    parentFileId: number | null,
    size: number,
    sha256: string,
  ): FileResult {
    return {
      fileId: -1,
      path,
      member,
      parentFileId,
      size,
      sha256,
      kind: "unknown",
      status: "skipped",
      error: null,
      errorCode: null,
      recordCount: 0,
      setAside: [],
      content: null,
      contentGzipped: false,
    };
  }

  private push(result: FileResult): void {
    if (result.fileId < 0) result.fileId = this.options.nextFileId();
    this.files.push(result);
  }

  private maybeCloseBatch(): void {
    const limit =
      this.batchesClosed === 0
        ? (this.options.firstChunkBytes ?? this.options.chunkBytes)
        : this.options.chunkBytes;
    if (this.chunk !== null && this.chunk.bytes >= limit) this.closeBatch();
    else if (this.chunk === null && this.files.length >= 4096) this.closeBatch();
  }

  private closeBatch(): void {
    if (this.files.length === 0 && this.chunk === null && this.alreadyInCase === 0) return;
    const chunk = this.chunk;
    chunk?.close();
    this.options.onBatch({
      chunkPath: chunk?.path ?? null,
      lines: chunk?.lines ?? 0,
      bytes: chunk?.bytes ?? 0,
      files: this.files,
      alreadyInCase: this.alreadyInCase,
    });
    this.chunk = null;
    this.files = [];
    this.alreadyInCase = 0;
    this.batchesClosed++;
  }
}
