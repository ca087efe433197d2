/**
 * The query layer: an opened case file and the typed questions asked of it.
 */
export { Case, openCase, plainValue } from "./case.js";
export * from "./columns.js";
export * from "./sandbox.js";
export * from "./organization.js";
export type { OpenOptions, QueryResult, Row, RowValue, SqlParam, SqlParams } from "./case.js";
export * from "./filters.js";
export * from "./sts-regions.js";
export * from "./region-lock.js";
export * from "./sts-outside.js";
export * from "./filter-pattern.js";
export * from "./controls.js";
export * from "./timeline.js";
export { benchQueries } from "./bench.js";
export * from "./parquet.js";
export * from "./activity.js";
export * from "./scope.js";
export * from "./records.js";
export * from "./csv.js";
