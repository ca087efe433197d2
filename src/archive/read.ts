/**
 * Reading one evidence file: undo its compression, tell what it is, and cut it into records.
 *
 * Pure functions over bytes, so they run the same in a worker thread, in a test, and on a bundle
 * member. Nothing here parses a whole CloudTrail log into objects: records are located by the
 * structural scanner and handed on as byte ranges, so the exact original text of each record
 * can be kept.
 */
import { isUtf8 } from "node:buffer";
import { gunzipSync } from "node:zlib";
import {
  arrayElements,
  endOfValue,
  JsonShapeError,
  objectMembers,
  skipWhitespace,
  type Member,
  type Span,
} from "./json-scan.js";
import { isTar } from "./tar.js";
import { isZip } from "./zip.js";
import type { FileKind, QuarantineCode, RecordEncoding } from "./kinds.js";

/** One record located in a file's (decompressed) content. */
export interface RecordRef {
  /** Position of the record in its file, from 0. */
  index: number;
  /** Byte range of the record in the decompressed content. */
  start: number;
  end: number;
  encoding: RecordEncoding;
  /**
   * The record as one line of compact JSON, when its bytes are not that already (pretty-printed
   * source, or a JSON string to decode). Absent when the byte range itself is the line.
   */
  line?: Buffer;
  /** Set when the record cannot be an event whatever its fields (it is not a JSON object). */
  setAside?: string;
}

export type FileVerdict =
  | { status: "load"; kind: FileKind; records: RecordRef[] }
  | { status: "digest"; document: unknown }
  | { status: "bundle"; kind: "zip-bundle" | "tar-bundle"; data: Buffer }
  | { status: "skipped"; kind: FileKind; reason: string }
  | { status: "quarantined"; kind: FileKind; code: QuarantineCode; reason: string };

export interface Decoded {
  /** The file's bytes after gzip was undone (the same buffer when it was not compressed). */
  content: Buffer;
  gzipped: boolean;
}

export class ReadError extends Error {
  constructor(
    readonly code: QuarantineCode,
    message: string,
  ) {
    super(message);
    this.name = "ReadError";
  }
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === GZIP_MAGIC_0 && b[1] === GZIP_MAGIC_1;
}

/** Undo gzip when the bytes are gzip; refuse a `.gz` name on bytes that are not. */
export function decode(name: string, bytes: Buffer): Decoded {
  if (bytes.length === 0) throw new ReadError("empty-file", "empty file (0 bytes)");
  if (isGzip(bytes)) {
    try {
      return { content: gunzipSync(bytes, { chunkSize: outputChunk(bytes) }), gzipped: true };
    } catch (e) {
      const message = (e as Error).message;
      if (/unexpected end/i.test(message)) {
        throw new ReadError("gzip-truncated", `truncated gzip: ${message}`);
      }
      throw new ReadError("gzip-corrupt", `corrupt gzip: ${message}`);
    }
  }
  if (/\.gz$/i.test(name) || /\.tgz$/i.test(name)) {
    throw new ReadError("not-gzip", "named .gz but its bytes are not gzip (no gzip header)");
  }
  return { content: bytes, gzipped: false };
}

/**
 * The output buffer for gunzip, sized from the gzip trailer's ISIZE (the uncompressed length
 * mod 2^32) so a file inflates into one buffer instead of many 16 KiB pieces joined afterwards:
 * measured, a quarter less CPU. ISIZE is only a hint (a truncated file ends in arbitrary
 * bytes), so it is clamped by the most gzip can expand (about 1032:1) and by 64 MiB.
 */
function outputChunk(gzip: Buffer): number {
  if (gzip.length < 18) return 64 << 10; // shorter than any whole gzip member
  const isize = gzip.readUInt32LE(gzip.length - 4);
  return Math.max(64 << 10, Math.min(isize + 1, gzip.length * 1032, 64 << 20));
}

const JSON_NAME = /\.(json|jsonl|ndjson|json\.gz|jsonl\.gz|ndjson\.gz)$/i;
const EVENT_KEYS = ["eventVersion", "eventTime", "eventSource", "eventName", "eventID"];

/**
 * Tell what the decoded content is. Broken JSON is quarantined; content that is not JSON at all
 * is skipped by its kind unless its name promised JSON.
 */
export function classify(name: string, decoded: Decoded): FileVerdict {
  const b = decoded.content;
  if (isZip(b)) return { status: "bundle", kind: "zip-bundle", data: b };
  if (isTar(b)) return { status: "bundle", kind: "tar-bundle", data: b };
  if (b.length === 0) {
    return { status: "quarantined", kind: "unknown", code: "empty-file", reason: "empty content" };
  }
  const p = skipWhitespace(b, 0);
  const first = b[p];
  const promisesJson = JSON_NAME.test(name);
  if (first !== 0x7b && first !== 0x5b) {
    if (p === b.length && promisesJson) {
      return {
        status: "quarantined",
        kind: "unknown",
        code: "empty-file",
        reason: "only whitespace",
      };
    }
    if (promisesJson) {
      return {
        status: "quarantined",
        kind: "unknown",
        code: isUtf8(b) ? "malformed-json" : "invalid-utf8",
        reason: `malformed JSON: does not start with '{' or '[' (byte ${p})`,
      };
    }
    return { status: "skipped", kind: sniffOther(name, b), reason: "not JSON" };
  }
  if (!isUtf8(b)) {
    return {
      status: "quarantined",
      kind: "unknown",
      code: "invalid-utf8",
      reason: "content is not valid UTF-8, which JSON requires",
    };
  }
  try {
    return classifyJson(name, b, p);
  } catch (e) {
    if (e instanceof JsonShapeError || e instanceof SyntaxError) {
      return {
        status: "quarantined",
        kind: "unknown",
        code: "malformed-json",
        reason: `malformed JSON: ${e.message}`,
      };
    }
    if (e instanceof ReadError) {
      return { status: "quarantined", kind: "unknown", code: e.code, reason: e.message };
    }
    throw e;
  }
}

function sniffOther(name: string, b: Buffer): FileKind {
  if (/\.csv$/i.test(name)) return "csv";
  if (/\.ya?ml$/i.test(name)) return "yaml";
  const head = b.subarray(0, Math.min(b.length, 4096));
  if (head.includes(0) || !isUtf8(head.subarray(0, lastCompleteUtf8(head)))) return "binary";
  return "text";
}

function lastCompleteUtf8(b: Uint8Array): number {
  // A 4 KiB window may cut a multi-byte character; drop a partial one at the end.
  let n = b.length;
  let back = 0;
  while (n > 0 && back < 3 && (b[n - 1]! & 0xc0) === 0x80) {
    n--;
    back++;
  }
  if (n > 0 && b[n - 1]! >= 0xc0) n--;
  return n;
}

function classifyJson(name: string, b: Buffer, p: number): FileVerdict {
  const values = topLevelValues(b, p);
  const records = new RecordCollector(b);
  if (values.length === 1) {
    const only = values[0]!;
    if (only.items) return classifyArray(b, only.items, records);
    return classifyObject(name, b, only.span, only.members!, records);
  }
  // Several top-level values: newline-delimited JSON, or concatenated documents.
  let recognised = 0;
  for (const v of values) {
    if (!v.members) {
      records.add(v.span, "json");
      continue;
    }
    if (records.fromObject(v.span, v.members)) recognised++;
  }
  if (recognised === 0) {
    return { status: "skipped", kind: "json-unrecognised", reason: "no line looks like an event" };
  }
  return { status: "load", kind: "ndjson-events", records: records.list };
}

/** A top-level value of a file, with its members (object) or elements (array). */
interface TopValue {
  span: Span;
  members?: Member[];
  items?: Span[];
}

/**
 * The file's top-level values, each cut into members or elements in the same pass: the scan of
 * a large log file is most of the reader's work, so its bytes are walked once.
 */
function topLevelValues(b: Buffer, p: number): TopValue[] {
  const values: TopValue[] = [];
  let q = p;
  while (q < b.length) {
    let value: TopValue;
    if (b[q] === 0x7b) {
      const object = objectMembers(b, q, b.length, SPLIT_RECORDS);
      value = { span: { start: q, end: object.end }, members: object.members };
    } else if (b[q] === 0x5b) {
      const array = arrayElements(b, q);
      value = { span: { start: q, end: array.end }, items: array.items };
    } else {
      value = { span: { start: q, end: endOfValue(b, q) } };
    }
    values.push(value);
    q = skipWhitespace(b, value.span.end);
  }
  return values;
}

function classifyArray(b: Buffer, items: Span[], records: RecordCollector): FileVerdict {
  let recognised = 0;
  for (const item of items) {
    if (b[item.start] !== 0x7b) {
      records.add(item, "json");
      continue;
    }
    if (records.fromObject(item, objectMembers(b, item.start).members)) recognised++;
  }
  if (recognised === 0 && items.length > 0) {
    return { status: "skipped", kind: "json-unrecognised", reason: "an array with no events" };
  }
  return { status: "load", kind: "json-array-events", records: records.list };
}

const SPLIT_RECORDS: ReadonlySet<string> = new Set(["Records"]);

function classifyObject(
  name: string,
  b: Buffer,
  span: Span,
  members: Member[],
  records: RecordCollector,
): FileVerdict {
  const keys = new Set(members.map((m) => m.key));
  const value = (key: string) => members.find((m) => m.key === key)?.value;
  const logRecords = members.find((m) => m.key === "Records")?.items;
  if (logRecords) {
    for (const item of logRecords) records.add(item, "json");
    const insight = /CloudTrail-Insight/i.test(name);
    return {
      status: "load",
      kind: insight ? "cloudtrail-insight" : "cloudtrail-log",
      records: records.list,
    };
  }
  if (keys.has("logFiles") && (keys.has("digestStartTime") || keys.has("digestEndTime"))) {
    return { status: "digest", document: JSON.parse(b.toString("utf8", span.start, span.end)) };
  }
  if (keys.has("messageType") && keys.has("logEvents")) {
    const type = JSON.parse(
      b.toString("utf8", value("messageType")!.start, value("messageType")!.end),
    );
    if (type !== "DATA_MESSAGE") {
      return { status: "skipped", kind: "cloudwatch-logs-control-message", reason: String(type) };
    }
    records.fromObject(span, members);
    return { status: "load", kind: "cloudwatch-logs-subscription", records: records.list };
  }
  if (keys.has("Events") && b[value("Events")!.start] === 0x5b) {
    records.fromObject(span, members);
    return { status: "load", kind: "lookup-events", records: records.list };
  }
  if (keys.has("detail") && (keys.has("detail-type") || keys.has("source"))) {
    records.fromObject(span, members);
    return { status: "load", kind: "eventbridge-event", records: records.list };
  }
  if (EVENT_KEYS.some((k) => keys.has(k))) {
    records.add(span, "json");
    return { status: "load", kind: "single-event", records: records.list };
  }
  const other = otherJsonKind(keys);
  return { status: "skipped", kind: other, reason: skipReason(other) };
}

function otherJsonKind(keys: Set<string>): FileKind {
  if (keys.has("RoleDetailList") || keys.has("UserDetailList")) return "iam-authorization-details";
  if (keys.has("Role")) return "iam-role";
  if (keys.has("Roles")) return "iam-roles";
  if (keys.has("Organization") || keys.has("Accounts")) return "organization";
  if (keys.has("TopicArn") && keys.has("Message")) return "sns-notification";
  return "json-unrecognised";
}

function skipReason(kind: FileKind): string {
  switch (kind) {
    case "iam-authorization-details":
    case "iam-role":
    case "iam-roles":
    case "organization":
      return "IAM input, not events: load it with `trailbook iam load`";
    case "sns-notification":
      return "an SNS notification about log delivery, not events";
    default:
      return "JSON that is neither CloudTrail events nor a known envelope";
  }
}

/** Gathers record references in file order, numbering them as it goes. */
class RecordCollector {
  readonly list: RecordRef[] = [];
  private readonly compact: boolean;

  constructor(private readonly b: Buffer) {
    // One search of the whole file tells whether any record can hold a line break.
    this.compact = b.indexOf(0x0a) < 0 && b.indexOf(0x0d) < 0 && b.indexOf(0x09) < 0;
  }

  add(span: Span, encoding: RecordEncoding): void {
    const ref: RecordRef = { index: this.list.length, start: span.start, end: span.end, encoding };
    if (encoding === "json-string") {
      const text: unknown = JSON.parse(this.b.toString("utf8", span.start, span.end));
      if (typeof text !== "string") throw new ReadError("malformed-json", "expected a JSON string");
      ref.line = Buffer.from(hasBreak(text) ? minify(text) : text, "utf8");
      if (ref.line[skipWhitespace(ref.line, 0)] !== 0x7b) ref.setAside = "not a JSON object";
    } else if (this.b[span.start] !== 0x7b) {
      ref.setAside = "not a JSON object";
    } else if (!this.compact && hasBreakIn(this.b, span)) {
      ref.line = Buffer.from(minify(this.b.toString("utf8", span.start, span.end)), "utf8");
    }
    this.list.push(ref);
  }

  /** Adds the record(s) an object holds; false when it holds nothing recognisable. */
  fromObject(span: Span, members: Member[]): boolean {
    const get = (key: string) => members.find((m) => m.key === key)?.value;
    if (members.some((m) => EVENT_KEYS.includes(m.key))) {
      this.add(span, "json");
      return true;
    }
    const embedded = get("CloudTrailEvent");
    if (embedded && this.b[embedded.start] === 0x22) {
      this.add(embedded, "json-string");
      return true;
    }
    const detail = get("detail");
    if (detail && this.b[detail.start] === 0x7b && (get("detail-type") || get("source"))) {
      this.add(detail, "json");
      return true;
    }
    const logEvents = get("logEvents");
    if (logEvents && this.b[logEvents.start] === 0x5b) {
      for (const item of arrayElements(this.b, logEvents.start).items) {
        const message = objectMembers(this.b, item.start).members.find((m) => m.key === "message");
        if (message && this.b[message.value.start] === 0x22) this.add(message.value, "json-string");
        else this.add(item, "json");
      }
      return true;
    }
    for (const key of ["Records", "Events"]) {
      const list = get(key);
      if (list && this.b[list.start] === 0x5b) {
        for (const item of arrayElements(this.b, list.start).items) {
          if (this.b[item.start] === 0x7b)
            this.fromObject(item, objectMembers(this.b, item.start).members);
          else this.add(item, "json");
        }
        return true;
      }
    }
    this.add(span, "json");
    return false;
  }
}

function hasBreak(s: string): boolean {
  return s.includes("\n") || s.includes("\r") || s.includes("\t");
}

function hasBreakIn(b: Buffer, span: Span): boolean {
  for (let i = span.start; i < span.end; i++) {
    const c = b[i];
    if (c === 0x0a || c === 0x0d || c === 0x09) return true;
  }
  return false;
}

/** Re-serialises pretty-printed JSON as one line; same keys, order and values. */
function minify(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (e) {
    throw new ReadError("malformed-json", `malformed JSON in a record: ${(e as Error).message}`);
  }
}
