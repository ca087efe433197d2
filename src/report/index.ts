/**
 * What auditors and responders read: tables (HTML, CSV), notebook display helpers, and the
 * audit report.
 */
export * from "./table.js";
export * from "./notebook.js";
