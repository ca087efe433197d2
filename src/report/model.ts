/**
 * The audit report as data: sections of prose, charts and tables, each table carrying the SQL
 * (and parameters) that produced it. Building it (build.ts) runs the queries; rendering it
 * (html.ts) and writing it (write.ts) only read it.
 */
import type { Chart } from "../chart/spec.js";
import type { TableColumn } from "./table.js";

/** One SQL statement behind a table. */
export interface ReportSql {
  /** What the statement does, when a table rests on several. */
  label?: string;
  sql: string;
  params: Record<string, unknown>;
}

export interface ReportTable {
  /** File stem of its CSV (`tables/<id>.csv`) and its anchor in the HTML. */
  id: string;
  title: string;
  description: string;
  /** Columns of the CSV (all of them). */
  columns: TableColumn[];
  /** Columns shown in the HTML, when fewer than the CSV's (long lists of ids stay in the CSV). */
  htmlColumns?: TableColumn[];
  rows: object[];
  sql: ReportSql[];
  /** How the rows were derived beyond the SQL, e.g. verdicts from the policy engine. */
  derivation?: string;
}

/** A block of text shown as is (a policy document, a template, a filter pattern). */
export interface ReportBlock {
  id: string;
  title: string;
  text: string;
}

export interface ReportSection {
  id: string;
  title: string;
  /** Paragraphs of plain text. */
  intro: string[];
  charts: Chart[];
  tables: ReportTable[];
  blocks: ReportBlock[];
}

export interface AuditReport {
  title: string;
  generatedAt: string;
  toolVersion: string;
  caseFile: string;
  /** The range asked, ISO 8601 UTC, null for open ends. */
  range: { from: string | null; to: string | null };
  /** Allowed regions and where they came from, or null when none were given. */
  regionLock: { allowedRegions: string[]; from: "option" | "policy"; policyFile?: string } | null;
  sections: ReportSection[];
}

/** Table columns from keys. */
export const cols = (...keys: string[]): TableColumn[] => keys.map((key) => ({ key }));

/** The SQL of a query result, for a report table. */
export function sqlOf(result: { sql: string; params: object }, label?: string): ReportSql {
  return { ...(label ? { label } : {}), sql: result.sql, params: { ...result.params } };
}
