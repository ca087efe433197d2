/**
 * trailbook's IAM policy engine: parse policy documents as exports hold them, evaluate requests
 * rebuilt from CloudTrail against them in three-valued logic, and explain the decision.
 */

export {
  UNKNOWN_PRINCIPAL,
  UNKNOWN_RESOURCE,
  and3,
  not3,
  or3,
  type ContextValue,
  type PrincipalRef,
  type PrincipalType,
  type RequestContext,
  type Truth,
} from "./context.js";
export {
  POLICY_ERROR_CODES,
  PolicyError,
  decodePolicyDocument,
  parsePolicy,
  type ConditionEntry,
  type DocumentEncoding,
  type Effect,
  type Policy,
  type PolicyErrorCode,
  type PolicyKind,
  type PolicySource,
  type PolicyWarning,
  type PrincipalSet,
  type Statement,
} from "./document.js";
export {
  CONDITION_OPERATORS,
  parseCidr,
  parseDate,
  parseIp,
  parseOperator,
  type ConditionTrace,
  type OperatorFamily,
  type OperatorInfo,
} from "./condition.js";
export type { ElementMatch } from "./action.js";
export type { PrincipalMatch } from "./principal.js";
export { DecisionCache, keysRead } from "./cache.js";
export {
  evaluatePolicies,
  evaluatePolicy,
  summarizeConditionKeys,
  wouldDeny,
  type Decision,
  type DecisionKind,
  type DenyVerdict,
  type EvaluateOptions,
  type StatementTrace,
  type WouldDenyOptions,
} from "./evaluate.js";
