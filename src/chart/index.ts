/**
 * Charts: typed builders of Vega-Lite specs from query results, and a headless renderer to SVG
 * and PNG.
 */
export * from "./spec.js";
export { foldTop, regionMatcher, type Folding } from "./fold.js";
export * from "./sts-regions.js";
export * from "./activity.js";
export * from "./findings.js";
export * from "./trust.js";
export * from "./render.js";
