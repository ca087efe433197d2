export { writeSampleData } from "./archive.js";
export type { SampleOptions, SampleResult } from "./archive.js";
export { writeBenchArchive } from "./bench.js";
export type { BenchArchiveOptions, BenchArchiveResult } from "./bench.js";
export type * from "./expected.js";
