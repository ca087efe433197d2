/**
 * IAM in a case file: snapshots of IAM as exported, and the trust check that cross-references
 * every role assumption in the logs with the role's trust policy.
 */
export * from "./policy/index.js";
export {
  IAM_DOCUMENT_KINDS,
  IAM_LOAD_ERROR_CODES,
  IamLoadError,
  readSnapshot,
  type IamDocumentKind,
  type IamLoadErrorCode,
  type ParsedSnapshot,
  type ReadSnapshotOptions,
  type SnapshotWarning,
} from "./snapshot.js";
export {
  loadIamSnapshots,
  type IamLoadedFile,
  type IamLoadOptions,
  type IamLoadSummary,
} from "./load.js";
export { IAM_SCHEMA_SQL, IAM_TABLES } from "./schema.js";
