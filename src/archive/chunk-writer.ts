/**
 * Collects located records as newline-delimited JSON for the database to read in bulk:
 *
 *     {"f":file_id,"i":record_index,"o":byte_offset,"n":byte_length,"e":encoding,"r":record}
 *
 * The record is spliced in as it is, unparsed: compact JSON holds no raw newline (JSON forbids
 * them inside strings and the reader re-serialises pretty-printed records), so each record is
 * one line. The database parses each line once, straight into the typed fields it loads; a
 * record that is not valid JSON spoils its own line only (see store/load-sql.ts).
 *
 * The lines stay in memory, in blocks that can be handed to another thread without copying; the
 * loader streams them to the database through a pipe (store/chunk-feed.ts). Measured, writing
 * them to a scratch file instead and reading it back cost 2-6 CPU-seconds of kernel time per
 * million records on a disk-backed folder, and the writer stalled when the kernel throttled it.
 */

const BLOCK_BYTES = 8 << 20;
const CLOSE_NEWLINE = Buffer.from("}\n", "latin1");

export class ChunkWriter {
  private readonly blocks: Uint8Array[] = [];
  private block: Buffer | null = null;
  private used = 0;
  /** Bytes collected so far. */
  bytes = 0;
  lines = 0;

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
    if (this.block === null || this.used + need > this.block.length) {
      this.seal();
      // Each block owns its memory (allocUnsafeSlow: never a slice of Node's shared pool), so
      // it can be transferred to the loader's thread; a line longer than a block gets its own.
      this.block = Buffer.allocUnsafeSlow(Math.max(BLOCK_BYTES, need));
    }
    this.used += this.block.write(header, this.used, "latin1");
    this.block.set(text, this.used);
    this.used += text.length;
    this.used += CLOSE_NEWLINE.copy(this.block, this.used);
    this.bytes += need;
    this.lines++;
  }

  private seal(): void {
    if (this.block !== null && this.used > 0) {
      // The unused tail of a block is not kept: copy a block that is mostly empty.
      this.blocks.push(
        this.used < this.block.length / 2
          ? new Uint8Array(this.block.subarray(0, this.used))
          : this.block.subarray(0, this.used),
      );
    }
    this.block = null;
    this.used = 0;
  }

  /** The lines, in order, as blocks of whole lines. The writer is empty afterwards. */
  close(): Uint8Array[] {
    this.seal();
    return this.blocks.splice(0);
  }
}
