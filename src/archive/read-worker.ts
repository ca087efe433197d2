/**
 * Entry point of a reader worker thread: reads the files it is sent with an EvidenceReader and
 * posts each batch back, handing the kept file bytes over without copying them.
 */
import { parentPort, workerData } from "node:worker_threads";
import { EvidenceReader, type Batch, type KnownContent } from "./evidence-reader.js";

export interface ReaderWorkerData {
  readerId: number;
  chunkDir: string;
  chunkBytes: number;
  firstChunkBytes: number;
  known: [string, { fileId: number; places: string[] }][];
  /** Int32Array over a SharedArrayBuffer: [0] is the next free file id. */
  fileIdCounter: SharedArrayBuffer;
}

export type ToReader = { type: "paths"; paths: string[] } | { type: "finish" };
export type FromReader =
  | { type: "batch"; batch: Batch }
  | { type: "ready" }
  | { type: "done" }
  | { type: "failed"; message: string; stack?: string };

const port = parentPort!;
const data = workerData as ReaderWorkerData;
const counter = new Int32Array(data.fileIdCounter);
const known: KnownContent = new Map(
  data.known.map(([sha, k]) => [sha, { fileId: k.fileId, places: new Set(k.places) }]),
);

const reader = new EvidenceReader({
  readerId: data.readerId,
  chunkDir: data.chunkDir,
  chunkBytes: data.chunkBytes,
  firstChunkBytes: data.firstChunkBytes,
  known,
  nextFileId: () => Atomics.add(counter, 0, 1),
  onBatch: (batch) => {
    // A view into a larger buffer (a bundle member, a pooled allocation) cannot be handed over
    // without detaching its neighbours: copy those, transfer the rest.
    for (const f of batch.files) {
      if (f.content && f.content.byteLength !== f.content.buffer.byteLength) {
        f.content = new Uint8Array(f.content);
      }
    }
    const own = batch.files.flatMap((f) => (f.content ? [f.content.buffer as ArrayBuffer] : []));
    port.postMessage({ type: "batch", batch } satisfies FromReader, [...new Set(own)]);
  },
});

port.on("message", (message: ToReader) => {
  try {
    if (message.type === "paths") {
      for (const path of message.paths) reader.readPath(path);
      port.postMessage({ type: "ready" } satisfies FromReader);
    } else {
      reader.finish();
      port.postMessage({ type: "done" } satisfies FromReader);
    }
  } catch (e) {
    const error = e as Error;
    port.postMessage({
      type: "failed",
      message: error.message,
      stack: error.stack,
    } satisfies FromReader);
  }
});
