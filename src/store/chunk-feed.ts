/**
 * Hands a chunk of record lines, held in memory, to DuckDB as a file it can read.
 *
 * DuckDB reads files only, so the chunk needs a path. Where the system can make named pipes
 * (`mkfifo`, on Linux and macOS), the path is a pipe and the lines stream through it while the
 * statement runs: nothing is written to disk. Measured on the benchmark archive, a scratch file
 * on a disk-backed folder instead cost 2-6 CPU-seconds of kernel time per million records and
 * made the run's speed vary by a fifth. Elsewhere, or when asked, the chunk is written to a
 * scratch file that lives only as long as the statement.
 *
 * One pipe serves one statement at a time; the loader runs its statements one after another.
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { open, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export type ChunkTransport = "pipe" | "file";

export class ChunkFeed {
  private seq = 0;

  private constructor(
    private readonly dir: string,
    readonly transport: ChunkTransport,
    private readonly pipePath: string | null,
  ) {}

  /**
   * A feed whose pipe or files live in `dir` (a folder the loader owns). Falls back to files
   * when a pipe cannot be made.
   */
  static create(dir: string, prefer: ChunkTransport = "pipe"): ChunkFeed {
    if (prefer === "pipe") {
      const path = join(dir, "records.pipe");
      try {
        execFileSync("mkfifo", ["-m", "600", path], { stdio: "ignore" });
        return new ChunkFeed(dir, "pipe", path);
      } catch {
        // No mkfifo (e.g. Windows): scratch files work everywhere.
      }
    }
    return new ChunkFeed(dir, "file", null);
  }

  /** Runs `statement` with a path from which DuckDB reads exactly the chunk's lines. */
  async read<T>(chunk: Uint8Array[], statement: (path: string) => Promise<T>): Promise<T> {
    if (this.pipePath === null) return this.readFile(chunk, statement);
    const path = this.pipePath;
    const writer = new PipeWriter(path, chunk);
    let result: T;
    try {
      result = await statement(path);
    } catch (e) {
      await writer.abandon();
      throw e;
    }
    // DuckDB reads to the end of its input, so a statement that succeeded took every byte.
    await writer.abandon();
    return result;
  }

  private async readFile<T>(
    chunk: Uint8Array[],
    statement: (path: string) => Promise<T>,
  ): Promise<T> {
    const path = join(this.dir, `chunk-${this.seq++}.ndjson`);
    await writeFile(path, chunk, { mode: 0o600 });
    try {
      return await statement(path);
    } finally {
      await rm(path, { force: true });
    }
  }
}

/**
 * Writes a chunk into a named pipe from Node's thread pool. Opening a pipe for writing waits
 * until a reader opens it, and each write waits until the reader has taken room; DuckDB's
 * statement, running on another pool thread, is that reader.
 */
class PipeWriter {
  private opened = false;
  private ended = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly path: string,
    chunk: Uint8Array[],
  ) {
    this.done = this.write(chunk)
      .catch(() => undefined)
      .finally(() => {
        this.ended = true;
      });
  }

  private async write(chunk: Uint8Array[]): Promise<void> {
    const handle = await open(this.path, "w");
    this.opened = true;
    try {
      for (const block of chunk) {
        let at = 0;
        while (at < block.length)
          at += (await handle.write(block, at, block.length - at)).bytesWritten;
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * Waits for the writer to end, and makes sure it can. When the statement failed before
   * opening the pipe, the writer would wait for a reader forever: open the pipe for reading
   * here, let the writer open it, and close it again, which fails the writer's next write
   * (EPIPE) and ends it. When the statement read everything, this returns at once.
   */
  async abandon(): Promise<void> {
    if (!this.opened) {
      let fd: number | null = null;
      try {
        fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
        while (!this.opened && !this.ended) await new Promise((resolve) => setTimeout(resolve, 1));
      } finally {
        if (fd !== null) closeSync(fd);
      }
    }
    await this.done;
  }
}
