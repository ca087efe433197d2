/** The report's baseline section: findings and stories of the detection window. */
import { runBaseline, type BaselineOptions } from "../baseline/index.js";
import { baselineTimelineChart } from "../chart/findings.js";
import type { Case } from "../query/case.js";
import type { ReportOptions } from "./build.js";
import { cols, type ReportSection, type ReportSql } from "./model.js";

const DAY = 86_400_000;

export async function baselineSection(
  c: Case,
  lastEvent: string | null,
  to: Date | null,
  asked: ReportOptions["baseline"] = {},
): Promise<ReportSection> {
  const section: ReportSection = {
    id: "baseline",
    title: "Baseline findings",
    intro: [],
    charts: [],
    tables: [],
    blocks: [],
  };
  if (!lastEvent && asked.detectFrom === undefined) {
    section.intro.push("The range holds no events: no baseline was run.");
    return section;
  }
  const lastDay = lastEvent ? Date.parse(lastEvent.slice(0, 10) + "T00:00:00Z") : 0;
  const options: BaselineOptions = {
    detectFrom: asked.detectFrom ?? new Date(lastDay - DAY),
    ...(asked.detectTo !== undefined ? { detectTo: asked.detectTo } : to ? { detectTo: to } : {}),
    ...(asked.baselineDays !== undefined ? { baselineDays: asked.baselineDays } : {}),
  };
  const result = await runBaseline(c, options);
  const w = result.windows;
  const sql: ReportSql[] = result.sql.map((s) => ({
    label: s.label,
    sql: s.sql,
    params: s.params,
  }));
  const derivation =
    "Findings are computed from the statements listed (run in this order over temporary work " +
    "tables), then scored, thresholded, suppressed and grouped into stories in TypeScript.";
  section.intro.push(
    `Detection window ${w.detection.from} to ${w.detection.to}, compared with each principal's ` +
      `${w.baseline.days}-day baseline from ${w.baseline.from}. ${result.counts.actors} principals ` +
      `active (AWS services aside), ${result.counts.scoredActors} with enough history to judge: ` +
      `${result.findings.length} findings in ${result.stories.length} stories; ` +
      `${result.belowThreshold.count} findings below the score threshold and ` +
      `${result.suppressed.count} suppressed are counted, not listed.`,
  );
  section.charts.push(baselineTimelineChart(result));
  section.tables.push(
    {
      id: "baseline-stories",
      title: "Stories",
      description: "Findings of one principal close together in time, strongest first.",
      columns: cols(
        "id",
        "actor",
        "score",
        "title",
        "kinds",
        "firstSeen",
        "lastSeen",
        "eventCount",
        "findingIds",
        "eventIds",
      ),
      htmlColumns: cols("actor", "score", "title", "kinds", "firstSeen", "lastSeen", "eventCount"),
      rows: result.stories,
      sql,
      derivation,
    },
    {
      id: "baseline-findings",
      title: "Findings",
      description: "Each finding with what was observed and what the baseline held.",
      columns: cols(
        "id",
        "group",
        "actor",
        "kind",
        "field",
        "value",
        "score",
        "title",
        "explanation",
        "firstSeen",
        "lastSeen",
        "eventCount",
        "eventIds",
      ),
      htmlColumns: cols("actor", "kind", "score", "explanation", "eventCount"),
      rows: result.findings,
      sql,
      derivation,
    },
    {
      id: "baseline-insufficient-history",
      title: "Principals too new to judge",
      description: "Active in the detection window with too little baseline: look at them by hand.",
      columns: cols(
        "actor",
        "baselineDays",
        "baselineEvents",
        "detectionEvents",
        "firstSeen",
        "lastSeen",
        "eventIds",
      ),
      rows: result.insufficientHistory,
      sql,
      derivation,
    },
  );
  return section;
}
