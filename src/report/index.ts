/**
 * What auditors and responders read: tables (HTML, CSV), notebook display helpers, and the
 * audit report.
 */
export * from "./table.js";
export * from "./notebook.js";
export * from "./model.js";
export { buildReport, type ReportOptions } from "./build.js";
export { reportHtml, namespaceSvgIds, type DrawnChart, type HtmlOptions } from "./html.js";
export * from "./write.js";
