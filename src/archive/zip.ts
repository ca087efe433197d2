/**
 * Reads zip bundles in memory: the member list from the central directory, and each member's
 * bytes through its local header, so nothing is extracted to disk.
 *
 * Supported: stored (0) and deflate (8) members, ZIP64 sizes and offsets, data descriptors
 * (bit 3: sizes and CRC come from the central directory, never from the local header), UTF-8
 * names (bit 11, or Info-ZIP's Unicode path field), an archive comment, and bytes prepended to
 * the archive (a self-extractor stub, or a bundle glued after other data). Refused with
 * `zip-unsupported`: encrypted members, other compression methods, and split archives.
 */
import { constants as bufferConstants } from "node:buffer";
import zlib from "node:zlib";

import { BundleError } from "./bundle-error.js";

export { BundleError } from "./bundle-error.js";
export type { BundleErrorCode } from "./bundle-error.js";

/** One entry of a zip's central directory. */
export interface ZipMember {
  /** As stored, with any leading `./` removed; directories end with `/`. */
  name: string;
  /** Bytes the member takes in the archive. */
  compressedSize: number;
  /** Bytes the member holds once read. */
  size: number;
  /** Compression method: 0 stored, 8 deflate; anything else cannot be read. */
  method: number;
  /** CRC-32 of the member's bytes, as recorded in the central directory. */
  crc32: number;
  isDirectory: boolean;
  /** General purpose flags: bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8 name. */
  flags: number;
  /** Where the member's local header starts in the archive (already corrected for a prefix). */
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const MAX_COMMENT = 0xffff;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8 = 0x0800;

const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNICODE_PATH = 0x7075;

const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

/** True when `head` starts like a zip: a local file header, or the end record of an empty zip. */
export function isZip(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const sig = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  return sig === SIG_LOCAL || sig === SIG_EOCD;
}

/**
 * The members of a zip, in central-directory order (names reported as stored, duplicates kept).
 * Throws `BundleError` `zip-corrupt` (naming `file`) when the archive's structure is truncated
 * or inconsistent, and `zip-unsupported` for a split archive.
 */
export function listZip(data: Buffer, file?: string): ZipMember[] {
  const corrupt = (reason: string, offset?: number) =>
    new BundleError("zip-corrupt", reason, offset === undefined ? { file } : { file, offset });

  const eocd = findEndRecord(data);
  if (eocd < 0) throw corrupt("no end of central directory record (truncated or not a zip)");

  const diskNumber = data.readUInt16LE(eocd + 4);
  const cdDisk = data.readUInt16LE(eocd + 6);
  let entries = data.readUInt16LE(eocd + 10);
  let cdSize = data.readUInt32LE(eocd + 12);
  let cdOffset = data.readUInt32LE(eocd + 16);
  // Where the central directory must end: right before the end record, or before the zip64 one.
  let cdEnd = eocd;

  const locator = eocd - ZIP64_LOCATOR_SIZE;
  if (locator >= 0 && data.readUInt32LE(locator) === SIG_ZIP64_LOCATOR) {
    // The zip64 end record sits just before its locator, even when a prefix shifted the
    // offsets the archive recorded; look there first and use the recorded offset as a fallback.
    let z64 = locator - ZIP64_EOCD_SIZE;
    if (z64 < 0 || data.readUInt32LE(z64) !== SIG_ZIP64_EOCD) {
      z64 = toSafe(data.readBigUInt64LE(locator + 8));
    }
    if (
      z64 < 0 ||
      z64 + ZIP64_EOCD_SIZE > data.length ||
      data.readUInt32LE(z64) !== SIG_ZIP64_EOCD
    ) {
      throw corrupt("zip64 end of central directory record missing", locator);
    }
    if (data.readUInt32LE(z64 + 16) !== 0 || data.readUInt32LE(z64 + 20) !== 0) {
      throw new BundleError("zip-unsupported", "split (multi-disk) zip archives are not read", {
        file,
      });
    }
    entries = toSafe(data.readBigUInt64LE(z64 + 32));
    cdSize = toSafe(data.readBigUInt64LE(z64 + 40));
    cdOffset = toSafe(data.readBigUInt64LE(z64 + 48));
    if (entries < 0 || cdSize < 0 || cdOffset < 0) throw corrupt("zip64 sizes out of range", z64);
    cdEnd = z64;
  } else if (diskNumber !== 0 || cdDisk !== 0) {
    throw new BundleError("zip-unsupported", "split (multi-disk) zip archives are not read", {
      file,
    });
  }

  // Bytes before the archive (a self-extractor stub) shift every recorded offset by the same
  // amount; the directory's known end gives that amount.
  const cdStart = cdEnd - cdSize;
  if (cdStart < 0) throw corrupt("central directory larger than the archive", eocd);
  const shift = cdStart - cdOffset;
  if (shift < 0) throw corrupt("central directory offset past its end record", eocd);

  const members: ZipMember[] = [];
  let pos = cdStart;
  for (let i = 0; i < entries; i++) {
    if (pos + CENTRAL_HEADER_SIZE > cdEnd || data.readUInt32LE(pos) !== SIG_CENTRAL) {
      throw corrupt(`central directory entry ${i + 1} of ${entries} is missing or damaged`, pos);
    }
    const member = readCentralEntry(data, pos, cdEnd, shift, file);
    members.push(member.entry);
    pos = member.next;
  }
  return members;
}

/**
 * The bytes of one member: a view of `data` for a stored member, freshly inflated for a deflated
 * one, checked against its recorded size and CRC-32. Throws `BundleError` naming the member:
 * `zip-unsupported` (encrypted, or a method other than stored/deflate), `zip-corrupt` (local
 * header or deflate stream broken, wrong size), `zip-crc-mismatch`.
 */
export function readZipMember(data: Buffer, member: ZipMember, file?: string): Buffer {
  const where = { file, member: member.name };
  if ((member.flags & FLAG_ENCRYPTED) !== 0) {
    throw new BundleError("zip-unsupported", "member is encrypted", where);
  }
  if (member.method !== METHOD_STORED && member.method !== METHOD_DEFLATE) {
    throw new BundleError(
      "zip-unsupported",
      `compression method ${member.method} is not supported (only stored and deflate)`,
      where,
    );
  }

  const at = member.localHeaderOffset;
  if (at + LOCAL_HEADER_SIZE > data.length || data.readUInt32LE(at) !== SIG_LOCAL) {
    throw new BundleError("zip-corrupt", "local header missing", { ...where, offset: at });
  }
  // The local header's name and extra field may differ in length from the central directory's
  // (zip64 and timestamp fields are often written in only one of them).
  const start = at + LOCAL_HEADER_SIZE + data.readUInt16LE(at + 26) + data.readUInt16LE(at + 28);
  const end = start + member.compressedSize;
  if (end > data.length) {
    throw new BundleError("zip-corrupt", "member data runs past the end of the archive", {
      ...where,
      offset: at,
    });
  }
  const raw = data.subarray(start, end);

  let bytes: Buffer;
  if (member.method === METHOD_STORED) {
    bytes = raw;
  } else {
    try {
      // The cap keeps a lying size field (or a zip bomb) from inflating without bound.
      const cap = Math.min(bufferConstants.MAX_LENGTH, Math.max(1, member.size));
      bytes = zlib.inflateRawSync(raw, { maxOutputLength: cap });
    } catch (err) {
      const tooLarge = (err as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE";
      const reason = tooLarge
        ? `inflates past its recorded size of ${member.size} bytes`
        : `deflate data is broken: ${err instanceof Error ? err.message : String(err)}`;
      throw new BundleError("zip-corrupt", reason, where);
    }
  }
  if (bytes.length !== member.size) {
    throw new BundleError(
      "zip-corrupt",
      `member holds ${bytes.length} bytes, the archive says ${member.size}`,
      where,
    );
  }
  const actual = crc32(bytes);
  if (actual !== member.crc32) {
    throw new BundleError(
      "zip-crc-mismatch",
      `CRC-32 ${hex(actual)} does not match the recorded ${hex(member.crc32)}`,
      where,
    );
  }
  return bytes;
}

/**
 * Every member with a `read()` that reads it on demand, so one bad member (its `read()` throws)
 * does not stop the others. Listing the archive can throw as `listZip` does.
 */
export function* zipMembers(
  data: Buffer,
  file?: string,
): Generator<{ member: ZipMember; read(): Buffer }> {
  for (const member of listZip(data, file)) {
    yield { member, read: () => readZipMember(data, member, file) };
  }
}

/** CRC-32 (ISO-HDLC, as zip and gzip use) by table; exported so tests can check it. */
export function tableCrc32(bytes: Uint8Array): number {
  const table = (crcTable ??= makeCrcTable());
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

let crcTable: Uint32Array | undefined;

function makeCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

// zlib.crc32 is native and much faster; it appeared in Node 20.15, so the table is the fallback.
const crc32: (bytes: Uint8Array) => number =
  typeof zlib.crc32 === "function" ? (bytes) => zlib.crc32(bytes) >>> 0 : tableCrc32;

function findEndRecord(data: Buffer): number {
  const last = data.length - EOCD_SIZE;
  const first = Math.max(0, last - MAX_COMMENT);
  // A comment may itself contain the signature: the record whose comment ends exactly at the end
  // of the data is the real one. Failing that (bytes appended after the zip), the last record
  // whose comment fits is taken.
  let fallback = -1;
  for (let pos = last; pos >= first; pos--) {
    if (data[pos] !== 0x50 || data.readUInt32LE(pos) !== SIG_EOCD) continue;
    const end = pos + EOCD_SIZE + data.readUInt16LE(pos + 20);
    if (end === data.length) return pos;
    if (end < data.length && fallback < 0) fallback = pos;
  }
  return fallback;
}

function readCentralEntry(
  data: Buffer,
  pos: number,
  cdEnd: number,
  shift: number,
  file: string | undefined,
): { entry: ZipMember; next: number } {
  const versionMadeBy = data.readUInt16LE(pos + 4);
  const flags = data.readUInt16LE(pos + 8);
  const method = data.readUInt16LE(pos + 10);
  const crc = data.readUInt32LE(pos + 16);
  let compressedSize = data.readUInt32LE(pos + 20);
  let size = data.readUInt32LE(pos + 24);
  const nameLength = data.readUInt16LE(pos + 28);
  const extraLength = data.readUInt16LE(pos + 30);
  const commentLength = data.readUInt16LE(pos + 32);
  const externalAttributes = data.readUInt32LE(pos + 38);
  let localOffset = data.readUInt32LE(pos + 42);

  const nameStart = pos + CENTRAL_HEADER_SIZE;
  const extraStart = nameStart + nameLength;
  const next = extraStart + extraLength + commentLength;
  if (next > cdEnd) {
    throw new BundleError("zip-corrupt", "central directory entry runs past the directory", {
      file,
      offset: pos,
    });
  }
  const rawName = data.subarray(nameStart, extraStart);
  const extra = data.subarray(extraStart, extraStart + extraLength);
  let name = decodeName(rawName, flags, extra);

  // The zip64 field holds, in this order, only the values whose 32-bit field is saturated.
  const z64 = findExtra(extra, EXTRA_ZIP64);
  let z = 0;
  const take = (): number => {
    if (z64 === undefined || z + 8 > z64.length) {
      throw new BundleError("zip-corrupt", "zip64 extra field missing or short", {
        file,
        member: name,
        offset: pos,
      });
    }
    const value = toSafe(z64.readBigUInt64LE(z));
    z += 8;
    return value;
  };
  if (size === 0xffffffff) size = take();
  if (compressedSize === 0xffffffff) compressedSize = take();
  if (localOffset === 0xffffffff) localOffset = take();
  if (size < 0 || compressedSize < 0 || localOffset < 0) {
    throw new BundleError("zip-corrupt", "zip64 size or offset out of range", {
      file,
      member: name,
      offset: pos,
    });
  }

  name = stripDotSlash(name);
  // MS-DOS attributes (made by host 0) mark directories even when a tool drops the slash.
  const dosDirectory = versionMadeBy >>> 8 === 0 && (externalAttributes & 0x10) !== 0;
  const entry: ZipMember = {
    name,
    compressedSize,
    size,
    method,
    crc32: crc,
    isDirectory: name.endsWith("/") || (dosDirectory && size === 0),
    flags,
    localHeaderOffset: localOffset + shift,
  };
  return { entry, next };
}

function findExtra(extra: Buffer, id: number): Buffer | undefined {
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const fieldId = extra.readUInt16LE(pos);
    const length = extra.readUInt16LE(pos + 2);
    const start = pos + 4;
    if (start + length > extra.length) return undefined;
    if (fieldId === id) return extra.subarray(start, start + length);
    pos = start + length;
  }
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeName(raw: Buffer, flags: number, extra: Buffer): string {
  if ((flags & FLAG_UTF8) !== 0) return raw.toString("utf8");
  // Info-ZIP's Unicode path field: version 1, CRC-32 of the raw name it stands for, UTF-8 name.
  const unicode = findExtra(extra, EXTRA_UNICODE_PATH);
  if (unicode !== undefined && unicode.length >= 5 && unicode[0] === 1) {
    if (unicode.readUInt32LE(1) === crc32(raw)) return unicode.subarray(5).toString("utf8");
  }
  if (raw.every((b) => b < 0x80)) return raw.toString("latin1");
  // Without the flag the name is CP437 by the specification, but many tools write UTF-8 without
  // setting it; a name that decodes as UTF-8 is taken as UTF-8, since CP437 text rarely does.
  try {
    return utf8.decode(raw);
  } catch {
    let name = "";
    for (const b of raw) name += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
    return name;
  }
}

// Code page 437, bytes 0x80-0xFF.
const CP437_HIGH =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐" +
  "└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

/** Leading `./` segments say nothing about where a member lives; a bare `./` is kept. */
function stripDotSlash(name: string): string {
  let out = name;
  while (out.startsWith("./") && out.length > 2) out = out.slice(2);
  return out;
}

/** A 64-bit field as a number, or -1 when it does not fit (no buffer is that large anyway). */
function toSafe(value: bigint): number {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}
