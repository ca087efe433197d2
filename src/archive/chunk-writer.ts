/**
 * Writes located records as newline-delimited JSON for the database to read in bulk:
 *
 *     {"f":file_id,"i":record_index,"o":byte_offset,"n":byte_length,"e":encoding,"r":record}
 *
 * The record is spliced in as it is, unparsed: compact JSON holds no raw newline (JSON forbids
 * them inside strings and the reader re-serialises pretty-printed records), so each record is
 * one line. The database parses each line once, straight into the typed fields it loads; a
 * record that is not valid JSON fails its own line only (see store/load-sql.ts).
 */
import { closeSync, openSync, writeSync } from "node:fs";

const BUFFER_BYTES = 8 << 20;
const CLOSE_NEWLINE = Buffer.from("}\n", "latin1");

export class ChunkWriter {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  /** Bytes written so far, buffered or not. */
  bytes = 0;
  lines = 0;
  private closed = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w");
  }

  write(
    fileId: number,
    index: number,
    offset: number,
    length: number,
    encoding: 0 | 1,
    text: Uint8Array,
  ): void {
    const header = `{"f":${fileId},"i":${index},"o":${offset},"n":${length},"e":${encoding},"r":`;
    const need = header.length + text.length + CLOSE_NEWLINE.length;
    if (this.used + need > BUFFER_BYTES) this.flush();
    if (need > BUFFER_BYTES) {
      // A record larger than the buffer goes straight to the file.
      writeSync(this.fd, Buffer.from(header, "latin1"));
      writeSync(this.fd, text);
      writeSync(this.fd, CLOSE_NEWLINE);
    } else {
      this.used += this.buffer.write(header, this.used, "latin1");
      this.buffer.set(text, this.used);
      this.used += text.length;
      this.used += CLOSE_NEWLINE.copy(this.buffer, this.used);
    }
    this.bytes += need;
    this.lines++;
  }

  private flush(): void {
    let done = 0;
    while (done < this.used) done += writeSync(this.fd, this.buffer, done, this.used - done);
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }
}
