/**
 * Anomaly baselining per principal: what each actor did in the detection window that it never
 * did in the baseline (first-seen), far more than usual (volume), or at an hour it never acts
 * (unusual-hour), scored on one scale, explained against the baseline, grouped into stories.
 * Everything over events runs in DuckDB; only the findings come back.
 */
export * from "./finding.js";
export { runBaseline, resolveBaselineOptions } from "./run.js";
export type {
  BaselineFilters,
  BaselineOptions,
  BaselineResult,
  ResolvedBaselineOptions,
} from "./run.js";
export type { ScopeCounts } from "./scope.js";
export {
  BASELINE_OPTION_ERROR_CODES,
  BaselineOptionError,
  resolveWindows,
  DEFAULT_BASELINE_DAYS,
} from "./windows.js";
export type {
  BaselineOptionErrorCode,
  BaselineWindows,
  TimeInput,
  Window,
  WindowOptions,
} from "./windows.js";
export {
  SuppressionFileError,
  applySuppressions,
  loadSuppressions,
  parseSuppressions,
  SUPPRESSIBLE_FIELDS,
} from "./suppress.js";
export type { SuppressionCount, SuppressionRule } from "./suppress.js";
export { KIND_WEIGHTS, combinedScore } from "./score.js";
export {
  DEFAULT_FIELDS,
  FIRST_SEEN_FIELDS,
  MAX_COMBINATION_FIELDS,
  resolveTerms,
} from "./first-seen.js";
export type { FirstSeenField, TermSpec } from "./first-seen.js";
export { USER_AGENT_FAMILIES } from "./user-agent.js";
