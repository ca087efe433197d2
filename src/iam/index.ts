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
  type AttachedPolicy,
  type DocumentEncoding,
  type GroupRow,
  type InlinePolicy,
  type ManagedPolicyRow,
  type OrgAccountRow,
  type OrganizationRow,
  type RoleRow,
  type UserRow,
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
export {
  ASSUME_EVENT_NAMES,
  assumptionCallsSql,
  selectAssumptions,
  type AssumeEventName,
  type AssumptionCall,
  type AssumptionSelection,
} from "./assumptions.js";
export {
  CALLER_KINDS,
  callerOf,
  requestOf as assumptionRequest,
  type AccountContext,
  type Caller,
  type CallerKind,
} from "./request.js";
export {
  NARROWING_KEYS,
  TRUST_BREADTHS,
  policyBreadth,
  statementBreadth,
  type StatementBreadth,
  type TrustBreadth,
} from "./breadth.js";
export {
  TRUST_CHECK_COLUMNS,
  TRUST_VERDICTS,
  decideAssumptions,
  decideCall,
  trustContext,
  type CallOutcome,
  type CallerRelation,
  type CallerSource,
  type DecidedAssumptions,
  type DenialReason,
  type NamedQuery,
  type SnapshotRole,
  type TrustCheckRow,
  type TrustContext,
  type TrustVerdict,
} from "./trust.js";
export {
  ROLE_CHAIN_COLUMNS,
  ROLE_CHAIN_SUMMARY_COLUMNS,
  roleChains,
  type RoleChainRow,
} from "./chains.js";
export {
  ASSUMPTION_COUNT_KEYS,
  ASSUMPTION_EDGE_COLUMNS,
  assumptionGraphOf,
  type AssumptionCounts,
  type AssumptionEdge,
  type AssumptionGraph,
  type AssumptionNode,
  type GraphNodeKind,
} from "./graph.js";
export { UNUSED_ROLE_COLUMNS, unusedRolesSql, type UnusedRoleRow } from "./unused.js";
export {
  TRUST_FINDING_COLUMNS,
  TRUST_FINDING_KINDS,
  TRUST_FINDING_SUMMARY_COLUMNS,
  trustFindings,
  type FindingOptions,
  type FindingSeverity,
  type TrustFinding,
  type TrustFindingKind,
} from "./findings.js";
export {
  assumptionGraph,
  trustChains,
  trustCheck,
  unusedRoles,
  type TrustCheckOptions,
  type TrustCheckResult,
} from "./check.js";
export { benchEngine, benchTrust } from "./bench.js";
