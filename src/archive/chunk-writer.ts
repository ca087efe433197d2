/**
 * Writes located records as tab-separated lines for the database to read in bulk:
 *
 *     file_id \t record_index \t byte_offset \t byte_length \t encoding \t record-as-one-line
 *
 * The record text is compact JSON, which holds no raw tab or newline (JSON forbids them inside
 * strings and the reader re-serialises pretty-printed records), so no quoting is needed and the
 * database's CSV reader takes the lines at full speed.
 */
import { closeSync, openSync, writeSync } from "node:fs";

const BUFFER_BYTES = 8 << 20;
const TAB = 0x09;
const NEWLINE = 0x0a;

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
    const header = `${fileId}\t${index}\t${offset}\t${length}\t${encoding}`;
    const need = header.length + text.length + 2;
    if (this.used + need > BUFFER_BYTES) this.flush();
    if (need > BUFFER_BYTES) {
      // A record larger than the buffer goes straight to the file.
      writeSync(this.fd, Buffer.from(header + "\t", "latin1"));
      writeSync(this.fd, text);
      writeSync(this.fd, Buffer.of(NEWLINE));
    } else {
      this.used += this.buffer.write(header, this.used, "latin1");
      this.buffer[this.used++] = TAB;
      this.buffer.set(text, this.used);
      this.used += text.length;
      this.buffer[this.used++] = NEWLINE;
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
