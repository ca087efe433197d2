/**
 * The query layer: an opened case file and the typed questions asked of it.
 */
export { Case, openCase, plainValue, toArrow } from "./case.js";
export type { OpenOptions, QueryResult, Row, RowValue, SqlParam, SqlParams } from "./case.js";
export * from "./filters.js";
export * from "./sts-regions.js";
export * from "./region-lock.js";
export * from "./sts-outside.js";
export * from "./filter-pattern.js";
export * from "./controls.js";
export * from "./timeline.js";
export { benchQueries } from "./bench.js";
export * from "./activity.js";
export * from "./scope.js";
