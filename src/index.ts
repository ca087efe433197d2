/**
 * trailbook's public API: what notebooks and scripts import.
 */
export { ingest } from "./store/ingest.js";
export type {
  IngestOptions,
  IngestProgress,
  IngestSummary,
  QuarantinedFile,
} from "./store/ingest.js";
export { CaseDatabase, CaseFileError } from "./store/database.js";
export type { OpenCaseOptions } from "./store/database.js";
export { SCHEMA_SQL, SCHEMA_VERSION } from "./store/schema.js";
export { actorLabel } from "./store/actor.js";
export { quoteIdentifier, quoteString } from "./store/sql.js";
export { clearRecordCache, readRecord, recordText } from "./store/record.js";
export * from "./archive/kinds.js";
export * from "./query/index.js";
export * from "./iam/index.js";
export * from "./baseline/index.js";
export * from "./chart/index.js";
export * from "./report/index.js";
