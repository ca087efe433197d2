/**
 * Reads tar bundles in memory, member by member, without copying: each member's data is a view
 * (`subarray`) of the buffer passed in, so it stays valid only as long as that buffer does.
 *
 * The input is the plain tar stream: the caller gunzips a `.tar.gz` / `.tgz` first (for example
 * with `zlib.gunzipSync`). Formats read: v7, POSIX ustar (the prefix field for long names), GNU
 * (base-256 sizes for large members, `L` long-name entries) and pax (`x` headers' `path` and
 * `size`; `g` global headers are skipped).
 */
import { BundleError } from "./bundle-error.js";

export { BundleError } from "./bundle-error.js";
export type { BundleErrorCode } from "./bundle-error.js";

export interface TarMember {
  /** As stored (long-name and pax forms resolved), with any leading `./` removed. */
  name: string;
  size: number;
  /** `file` for regular members, `directory`, `other` for links, devices, FIFOs and the like. */
  type: "file" | "directory" | "other";
  /** The member's bytes: a view of the input buffer, not a copy. */
  data: Buffer;
}

const BLOCK = 512;

// Header field offsets and lengths (POSIX ustar layout, shared by v7 and GNU for these fields).
const NAME = [0, 100] as const;
const SIZE = [124, 12] as const;
const CHECKSUM = [148, 8] as const;
const TYPEFLAG = 156;
const MAGIC = 257;
const PREFIX = [345, 155] as const;

/**
 * True when `head` (at least the first 512 bytes) looks like a tar header: the `ustar` magic of
 * POSIX and GNU archives, or, for v7 archives that have no magic, a header checksum that adds up.
 * An archive holding only its end-of-archive zero blocks is not recognised.
 */
export function isTar(head: Uint8Array): boolean {
  if (head.length >= MAGIC + 5 && ascii(head, MAGIC, 5) === "ustar") return true;
  if (head.length < BLOCK) return false;
  return checksumMatches(head.subarray(0, BLOCK));
}

/**
 * The members of a tar, in order, including directories and `other` entries (links, devices);
 * pax and GNU bookkeeping entries are consumed, not yielded. Reading stops at the first zero
 * block or at the end of the data. Throws `BundleError` `tar-corrupt`, naming `file` and the
 * header's offset, for a header whose checksum or numbers are wrong, a member whose data runs
 * past the end of the input, or a header cut short.
 */
export function* tarMembers(data: Buffer, file?: string): Generator<TarMember> {
  const corrupt = (reason: string, offset: number, member?: string) =>
    new BundleError(
      "tar-corrupt",
      reason,
      member === undefined ? { file, offset } : { file, offset, member },
    );

  // Names and sizes that GNU long-name and pax entries carry for the header after them.
  let longName: string | undefined;
  let paxPath: string | undefined;
  let paxSize: number | undefined;
  let pendingAt = -1;

  let pos = 0;
  while (pos + BLOCK <= data.length) {
    const header = data.subarray(pos, pos + BLOCK);
    // The end-of-archive marker is two zero blocks; like GNU tar, a lone one also ends the read.
    if (isZero(header)) break;
    if (!checksumMatches(header)) throw corrupt("header checksum does not match", pos);

    const typeflag = String.fromCharCode(header[TYPEFLAG]!);
    const isMeta = typeflag === "L" || typeflag === "K" || typeflag === "x" || typeflag === "g";
    const field = parseNumber(header.subarray(SIZE[0], SIZE[0] + SIZE[1]));
    if (field === undefined) throw corrupt("size field is not a number", pos);
    const size = !isMeta && paxSize !== undefined ? paxSize : field;

    const start = pos + BLOCK;
    const end = start + size;
    const name = isMeta ? undefined : (paxPath ?? longName ?? headerName(header));
    if (end > data.length) {
      throw corrupt(`member of ${size} bytes runs past the end of the data`, pos, name);
    }
    const body = data.subarray(start, end);
    const at = pos;
    pos = start + Math.ceil(size / BLOCK) * BLOCK;

    if (isMeta) {
      if (typeflag === "L") longName = cString(body);
      else if (typeflag === "x")
        ({ paxPath, paxSize } = parsePax(body, at, corrupt, paxPath, paxSize));
      // 'K' (GNU long link target) and 'g' (pax global header) hold nothing a member needs.
      if (typeflag !== "g") pendingAt = at;
      continue;
    }
    longName = paxPath = paxSize = undefined;
    pendingAt = -1;

    yield { name: stripDotSlash(name!), size, type: memberType(typeflag, name!), data: body };
  }

  if (pendingAt >= 0) {
    throw corrupt("long-name or pax header is not followed by its member", pendingAt);
  }
  if (pos < data.length && pos + BLOCK > data.length && !isZero(data.subarray(pos))) {
    throw corrupt(`header cut short: ${data.length - pos} of ${BLOCK} bytes`, pos);
  }
}

function memberType(typeflag: string, name: string): TarMember["type"] {
  switch (typeflag) {
    case "0":
    case "\0":
      // v7 archives have no directory type: a trailing slash marks one.
      return name.endsWith("/") ? "directory" : "file";
    case "7": // contiguous file, read as a regular one
      return "file";
    case "5":
    case "D": // GNU dumpdir: a directory with a listing of its contents as data
      return "directory";
    default:
      return "other";
  }
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(NAME[0], NAME[0] + NAME[1]));
  // Only POSIX ustar ("ustar\0") has the prefix; old GNU headers ("ustar  \0") keep other
  // fields (access and change times) in the same bytes.
  if (ascii(header, MAGIC, 6) !== "ustar\0") return name;
  const prefix = cString(header.subarray(PREFIX[0], PREFIX[0] + PREFIX[1]));
  return prefix === "" ? name : `${prefix}/${name}`;
}

/**
 * Pax extended records, `"<length> <key>=<value>\n"` with the length counting the whole record.
 * Only the keys that decide where a member's data is and what it is called are kept.
 */
function parsePax(
  body: Buffer,
  at: number,
  corrupt: (reason: string, offset: number) => BundleError,
  path: string | undefined,
  size: number | undefined,
): { paxPath: string | undefined; paxSize: number | undefined } {
  let pos = 0;
  while (pos < body.length) {
    // Writers may pad the data with NULs after the last record.
    if (body[pos] === 0) break;
    const space = body.indexOf(0x20, pos);
    const length = space < 0 ? NaN : Number(ascii(body, pos, space - pos));
    if (!Number.isInteger(length) || length <= 0 || pos + length > body.length) {
      throw corrupt("pax extended header record is malformed", at);
    }
    const record = body.subarray(space + 1, pos + length);
    const equals = record.indexOf(0x3d);
    if (equals < 0 || record[record.length - 1] !== 0x0a) {
      throw corrupt("pax extended header record is malformed", at);
    }
    const key = record.subarray(0, equals).toString("utf8");
    const value = record.subarray(equals + 1, record.length - 1).toString("utf8");
    if (key === "path") path = value;
    if (key === "size") {
      if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw corrupt(`pax size ${JSON.stringify(value)} is not a number`, at);
      }
      size = Number(value);
    }
    pos += length;
  }
  return { paxPath: path, paxSize: size };
}

/**
 * A numeric header field: octal text (leading spaces allowed, ended by NUL or space), or GNU's
 * base-256 form (high bit of the first byte set) for values too large for octal. Undefined when
 * the field is neither, or negative, or beyond what a number holds exactly.
 */
function parseNumber(field: Uint8Array): number | undefined {
  const first = field[0]!;
  if ((first & 0x80) !== 0) {
    if ((first & 0x40) !== 0) return undefined; // negative in two's complement
    let value = BigInt(first & 0x3f);
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i]!);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  }
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < field.length; i++) {
    const c = field[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return undefined;
    value = value * 8 + (c - 0x30);
    digits++;
  }
  // Only NULs or spaces may follow the digits.
  for (; i < field.length; i++) if (field[i] !== 0 && field[i] !== 0x20) return undefined;
  return digits === 0 ? 0 : value;
}

/**
 * The checksum is the sum of the header's bytes with its own field counted as spaces. Some old
 * writers summed signed bytes; either sum is accepted, as GNU tar does.
 */
function checksumMatches(header: Uint8Array): boolean {
  const field = header.subarray(CHECKSUM[0], CHECKSUM[0] + CHECKSUM[1]);
  if (field.every((b) => b === 0 || b === 0x20)) return false;
  const recorded = parseNumber(field);
  if (recorded === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= CHECKSUM[0] && i < CHECKSUM[0] + CHECKSUM[1] ? 0x20 : header[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return recorded === unsigned || recorded === signed;
}

function isZero(block: Uint8Array): boolean {
  return block.every((b) => b === 0);
}

/** Text up to the first NUL. Names are decoded as UTF-8: tar records no encoding. */
function cString(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.subarray(0, nul < 0 ? bytes.length : nul).toString("utf8");
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** Leading `./` segments say nothing about where a member lives; a bare `./` is kept. */
function stripDotSlash(name: string): string {
  let out = name;
  while (out.startsWith("./") && out.length > 2) out = out.slice(2);
  return out;
}
