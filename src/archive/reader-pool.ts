/**
 * Reads evidence files in worker threads and yields their batches in arrival order.
 *
 * The consumer (the case file's loader) pulls batches; files are handed to workers only while
 * few batches wait, so neither memory nor scratch space grows with the size of the archive.
 */
import { Worker } from "node:worker_threads";
import type { Batch, KnownContent } from "./evidence-reader.js";
import type { FromReader, ReaderWorkerData, ToReader } from "./read-worker.js";

export interface ReaderPoolOptions {
  workers: number;
  chunkDir: string;
  chunkBytes: number;
  /** Size at which each worker's first batch closes (default: a quarter of chunkBytes). */
  firstChunkBytes?: number;
  known: KnownContent;
  firstFileId: number;
  /** Files sent to a worker in one message. */
  filesPerTask?: number;
  /**
   * Batches allowed to wait for the consumer before workers are paused (default 6). A deep
   * queue lets the readers run ahead while the database commits, so that they are not behind
   * when it asks for the next batch; measured on the benchmark, 6 instead of 3 cut the loader's
   * waiting from about 2 s to under 1 s. The queued chunks take scratch space.
   */
  maxQueuedBatches?: number;
}

function startWorker(data: ReaderWorkerData): Worker {
  if (!import.meta.url.endsWith(".ts")) {
    return new Worker(new URL("./read-worker.js", import.meta.url), { workerData: data });
  }
  // Running from the TypeScript sources (tests, tsx): the worker needs the TypeScript loader too,
  // registered before its entry is imported.
  const entry = new URL("./read-worker.ts", import.meta.url).href;
  const loader = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

export async function* readEvidence(
  files: AsyncIterable<string> | Iterable<string>,
  options: ReaderPoolOptions,
): AsyncGenerator<Batch> {
  const perTask = options.filesPerTask ?? 32;
  const maxQueued = options.maxQueuedBatches ?? 6;
  const counter = new SharedArrayBuffer(4);
  new Int32Array(counter)[0] = options.firstFileId;
  const known = [...options.known].map(
    ([sha, k]) =>
      [sha, { fileId: k.fileId, places: [...k.places] }] as ReaderWorkerData["known"][number],
  );

  const queue: Batch[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const source = (Symbol.asyncIterator in files ? files : toAsync(files)) as AsyncIterable<string>;
  const iterator = source[Symbol.asyncIterator]();
  let sourceDone = false;
  const nextTask = async (): Promise<string[] | null> => {
    if (sourceDone) return null;
    const task: string[] = [];
    while (task.length < perTask) {
      const r = await iterator.next();
      if (r.done) {
        sourceDone = true;
        break;
      }
      task.push(r.value);
    }
    return task.length > 0 ? task : null;
  };

  interface Slot {
    worker: Worker;
    busy: boolean;
    finishing: boolean;
    done: boolean;
  }
  const slots: Slot[] = [];
  let feeding = false;
  const feed = async () => {
    if (feeding) return;
    feeding = true;
    try {
      for (const slot of slots) {
        if (slot.busy || slot.finishing || queue.length >= maxQueued) continue;
        const task = await nextTask();
        if (task === null) {
          slot.finishing = true;
          slot.worker.postMessage({ type: "finish" } satisfies ToReader);
        } else {
          slot.busy = true;
          slot.worker.postMessage({ type: "paths", paths: task } satisfies ToReader);
        }
      }
    } catch (e) {
      failure = e as Error;
    } finally {
      feeding = false;
      notify();
    }
  };

  for (let i = 0; i < options.workers; i++) {
    const data: ReaderWorkerData = {
      readerId: i,
      chunkDir: options.chunkDir,
      chunkBytes: options.chunkBytes,
      firstChunkBytes: options.firstChunkBytes ?? Math.ceil(options.chunkBytes / 4),
      known,
      fileIdCounter: counter,
    };
    const worker = startWorker(data);
    const slot: Slot = { worker, busy: false, finishing: false, done: false };
    worker.on("message", (m: FromReader) => {
      if (m.type === "batch") queue.push(m.batch);
      else if (m.type === "ready") slot.busy = false;
      else if (m.type === "done") slot.done = true;
      else failure = new Error(`reader worker failed: ${m.message}\n${m.stack ?? ""}`);
      notify();
      void feed();
    });
    worker.on("error", (e) => {
      failure = e;
      notify();
    });
    worker.on("exit", (code) => {
      if (!slot.done && failure === null) failure = new Error(`reader worker exited (${code})`);
      slot.done = true;
      notify();
    });
    slots.push(slot);
  }

  try {
    void feed();
    for (;;) {
      if (failure) throw failure;
      const batch = queue.shift();
      if (batch) {
        void feed();
        yield batch;
        continue;
      }
      if (slots.every((s) => s.done)) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
