/**
 * Minimal writers for the bundles responders receive: zip (stored or deflate entries, local
 * headers, central directory, CRC-32) and tar.gz (ustar headers, 512-byte blocks, then gzip).
 * Timestamps are fixed by the caller so the bytes are reproducible.
 */
import zlib from "node:zlib";

export interface BundleEntry {
  /** Path inside the bundle, with `/` separators. */
  name: string;
  data: Buffer;
}

/** MS-DOS date and time fields of a UTC instant (two-second resolution). */
function dosDateTime(epochMs: number): { date: number; time: number } {
  const d = new Date(epochMs);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  return { date, time };
}

/**
 * A zip archive. Members that are already compressed (`.gz`) are stored, others deflated, as
 * common zip tools decide. Sizes stay far below the ZIP64 limits, so no ZIP64 records are written.
 */
export function writeZip(entries: readonly BundleEntry[], mtimeMs: number): Buffer {
  const { date, time } = dosDateTime(mtimeMs);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const store = entry.name.endsWith(".gz") || entry.data.length === 0;
    const body = store ? entry.data : zlib.deflateRawSync(entry.data, { level: 6 });
    const method = store ? 0 : 8;
    const crc = zlib.crc32(entry.data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by: Unix, spec 3.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: regular file
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + body.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

function tarOctal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function tarHeader(name: string, size: number, mtimeSec: number, type: "0" | "5"): Buffer {
  const header = Buffer.alloc(512);
  let prefix = "";
  let short = name;
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long paths at a `/` into a 155-byte prefix and a 100-byte name.
    const cut = name.lastIndexOf("/", 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) {
      throw new Error(`tar path too long for ustar: ${name}`);
    }
    prefix = name.slice(0, cut);
    short = name.slice(cut + 1);
  }
  header.write(short, 0, 100, "utf8");
  header.write(tarOctal(type === "5" ? 0o755 : 0o644, 8), 100, "ascii");
  header.write(tarOctal(0, 8), 108, "ascii");
  header.write(tarOctal(0, 8), 116, "ascii");
  header.write(tarOctal(size, 12), 124, "ascii");
  header.write(tarOctal(mtimeSec, 12), 136, "ascii");
  header.write("        ", 148, "ascii"); // checksum is computed with this field as spaces
  header.write(type, 156, "ascii");
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  header.write("root", 265, "ascii");
  header.write("root", 297, "ascii");
  header.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += header[i] as number;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return header;
}

/** A gzip-compressed ustar archive, with a directory entry before the files of each folder. */
export function writeTarGz(entries: readonly BundleEntry[], mtimeMs: number): Buffer {
  const mtimeSec = Math.floor(mtimeMs / 1000);
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const entry of entries) {
    const segments = entry.name.split("/");
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join("/") + "/";
      if (!dirs.has(dir)) {
        dirs.add(dir);
        parts.push(tarHeader(dir, 0, mtimeSec, "5"));
      }
    }
    parts.push(tarHeader(entry.name, entry.data.length, mtimeSec, "0"), entry.data);
    const pad = (512 - (entry.data.length % 512)) % 512;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return zlib.gzipSync(Buffer.concat(parts), { level: 6 });
}
