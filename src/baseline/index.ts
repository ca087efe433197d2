/**
 * Anomaly baselining per principal: what each actor did in the detection window that it never
 * did in the baseline (first-seen), far more than usual (volume), or at an hour it never acts
 * (unusual-hour). Everything over events runs in DuckDB; only the findings come back.
 */
import { listValue } from "@duckdb/node-api";
import type { Case } from "../query/case.js";
import type {
  ExecutedSql,
  Finding,
  FindingKind,
  InsufficientHistoryActor,
  Story,
} from "./finding.js";
import { byRank, firstSeenFinding, hourFinding, volumeFinding } from "./findings.js";
import { findFirstSeen } from "./first-seen.js";
import { groupFindings } from "./group.js";
import { findUnusualHours } from "./hours.js";
import { ACTORS_TABLE, SCOPE_TABLE, buildScope, dropScope, scopeCounts } from "./scope.js";
import type { ScopeCounts } from "./scope.js";
import { SqlRunner } from "./sql-runner.js";
import { applySuppressions, type SuppressionCount, type SuppressionRule } from "./suppress.js";
import { findVolume } from "./volume.js";
import {
  BaselineOptionError,
  resolveWindows,
  type BaselineWindows,
  type WindowOptions,
} from "./windows.js";

export * from "./finding.js";
export { BaselineOptionError, resolveWindows, DEFAULT_BASELINE_DAYS } from "./windows.js";
export type { BaselineWindows, TimeInput, Window, WindowOptions } from "./windows.js";
export {
  SuppressionFileError,
  applySuppressions,
  loadSuppressions,
  parseSuppressions,
  SUPPRESSIBLE_FIELDS,
} from "./suppress.js";
export type { SuppressionCount, SuppressionRule } from "./suppress.js";
export { KIND_WEIGHTS, combinedScore } from "./score.js";
export { TERMS } from "./first-seen.js";
export { USER_AGENT_FAMILIES } from "./user-agent.js";

export interface BaselineOptions extends WindowOptions {
  /** Actors active on fewer baseline days are reported as insufficient-history. Default 3. */
  minHistoryDays?: number;
  /** Findings of one actor this close together form one story. Default 60 minutes. */
  groupGapMinutes?: number;
  /** Event ids listed per finding (all are counted). Default 20. */
  eventIdLimit?: number;
  /** Findings scoring below this are counted, not reported. Default 1. */
  minScore?: number;
  /** Volume floor: fewest calls in an hour for an hourly volume finding. Default 20. */
  minHourlyEvents?: number;
  /** Volume floor for a day. Default 50. */
  minDailyEvents?: number;
  /** Smallest robust z-score for a volume finding. Default 5. */
  minZ?: number;
  /** Hours from the nearest usual hour for an unusual-hour finding. Default 2. */
  minHourDistance?: number;
  /** Known-benign patterns (see suppress.ts). */
  suppressions?: SuppressionRule[];
}

export type ResolvedBaselineOptions = Required<Omit<BaselineOptions, keyof WindowOptions>>;

export interface BaselineResult {
  windows: BaselineWindows;
  options: ResolvedBaselineOptions;
  counts: ScopeCounts & {
    /** Actors (AWS services aside) active in the detection window. */
    actors: number;
    /** Of those, the ones with enough history to be scored. */
    scoredActors: number;
  };
  /** Reported findings, highest score first; each names its story in `group`. */
  findings: Finding[];
  /** The findings grouped per actor and burst, highest combined score first. */
  stories: Story[];
  /** Actors active in the detection window with too little baseline to judge. */
  insufficientHistory: InsufficientHistoryActor[];
  /** Findings scoring below minScore: counted, not reported. */
  belowThreshold: { count: number; byKind: Partial<Record<FindingKind, number>> };
  /** What the suppression rules took out, per rule, and the findings themselves. */
  suppressed: {
    count: number;
    byRule: SuppressionCount[];
    findings: (Finding & { suppressedBy: number })[];
  };
  /** Every statement run, in order, with its parameters. */
  sql: ExecutedSql[];
}

const DEFAULTS: ResolvedBaselineOptions = {
  minHistoryDays: 3,
  groupGapMinutes: 60,
  eventIdLimit: 20,
  minScore: 1,
  minHourlyEvents: 20,
  minDailyEvents: 50,
  minZ: 5,
  minHourDistance: 2,
  suppressions: [],
};

function resolveOptions(options: BaselineOptions): ResolvedBaselineOptions {
  const out = { ...DEFAULTS };
  const numbers: [keyof ResolvedBaselineOptions, "int" | "num"][] = [
    ["minHistoryDays", "int"],
    ["groupGapMinutes", "num"],
    ["eventIdLimit", "int"],
    ["minScore", "num"],
    ["minHourlyEvents", "int"],
    ["minDailyEvents", "int"],
    ["minZ", "num"],
    ["minHourDistance", "int"],
  ];
  for (const [key, type] of numbers) {
    const v = options[key];
    if (v === undefined) continue;
    const ok =
      typeof v === "number" &&
      Number.isFinite(v) &&
      v >= 0 &&
      (type === "num" || Number.isInteger(v));
    // A zero z threshold would divide by zero in the score; a zero id limit would list nothing.
    const positive = key === "minZ" || key === "eventIdLimit" || key === "minHistoryDays";
    if (!ok || (positive && v === 0)) {
      throw new BaselineOptionError(
        "invalid-number",
        key,
        v,
        `${key} must be a ${type === "int" ? "whole " : ""}number${positive ? " above 0" : " of 0 or more"}, got ${String(v)}`,
      );
    }
    (out as Record<string, unknown>)[key] = v;
  }
  if (options.suppressions) out.suppressions = options.suppressions;
  return out;
}

/**
 * Scores a case's detection window against each actor's baseline. The case is only read: the
 * work tables are temporary and dropped before returning.
 *
 * Note: the temporary tables have fixed names, so two runs on one Case must not overlap in time
 * (await one before starting the next); separate Case objects are independent.
 */
export async function runBaseline(c: Case, options: BaselineOptions): Promise<BaselineResult> {
  const opts = resolveOptions(options);
  const sql = new SqlRunner(c);
  const [last] = await sql.rows<{ last: string | null }>(
    "latest event in the case",
    "SELECT max(event_time) AS last FROM events",
  );
  const windows = resolveWindows(options, last?.last ? new Date(last.last) : null);
  const baselineDays = Math.round(windows.baseline.days);
  try {
    await buildScope(sql, windows, opts.eventIdLimit);
    const counts = await scopeCounts(sql, windows);
    const actors = await sql.rows<{
      actor: string;
      baseline_days: number;
      baseline_events: number;
      detection_events: number;
      first_seen: string;
      last_seen: string;
      event_ids: string[];
    }>(
      "actors active in the detection window",
      `SELECT * FROM ${ACTORS_TABLE} ORDER BY detection_events DESC, actor`,
    );
    const insufficientHistory: InsufficientHistoryActor[] = actors
      .filter((a) => Number(a.baseline_days) < opts.minHistoryDays)
      .map((a) => ({
        actor: a.actor,
        baselineDays: Number(a.baseline_days),
        baselineEvents: Number(a.baseline_events),
        detectionEvents: Number(a.detection_events),
        firstSeen: a.first_seen,
        lastSeen: a.last_seen,
        eventIds: a.event_ids,
      }));

    const all: Finding[] = [];
    const common = { minHistoryDays: opts.minHistoryDays, eventIdLimit: opts.eventIdLimit };
    for (const { term, rows } of await findFirstSeen(sql, {
      ...common,
      gapMinutes: opts.groupGapMinutes,
      valueLimit: 12,
    })) {
      for (const row of rows) all.push(firstSeenFinding(term, row, baselineDays));
    }
    for (const [period, minEvents] of [
      ["hour", opts.minHourlyEvents],
      ["day", opts.minDailyEvents],
    ] as const) {
      for (const row of await findVolume(sql, period, { ...common, minEvents, minZ: opts.minZ })) {
        all.push(volumeFinding(period, row, opts.minZ, baselineDays));
      }
    }
    for (const row of await findUnusualHours(sql, {
      ...common,
      minDistance: opts.minHourDistance,
    })) {
      all.push(hourFinding(row, baselineDays));
    }

    const byKind: Partial<Record<FindingKind, number>> = {};
    const strong = all.filter((f) => {
      if (f.score >= opts.minScore) return true;
      byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
      return false;
    });
    const below = all.length - strong.length;
    const outcome = applySuppressions(strong, opts.suppressions);
    const findings = outcome.kept.sort(byRank);
    const stories = groupFindings(findings, opts.groupGapMinutes, opts.eventIdLimit);
    await countStoryEvents(sql, stories);
    return {
      windows,
      options: opts,
      counts: {
        ...counts,
        actors: actors.length,
        scoredActors: actors.length - insufficientHistory.length,
      },
      findings,
      stories,
      insufficientHistory,
      belowThreshold: { count: below, byKind },
      suppressed: {
        count: outcome.suppressed.length,
        byRule: outcome.byRule,
        findings: outcome.suppressed.map((s) => ({ ...s.finding, suppressedBy: s.rule })),
      },
      sql: sql.executed,
    };
  } finally {
    await dropScope(sql);
  }
}

/** Each story's count of all the actor's events in its time span, in one statement. */
async function countStoryEvents(sql: SqlRunner, stories: Story[]): Promise<void> {
  if (stories.length === 0) return;
  const rows = await sql.rows<{ i: number; n: number }>(
    "events in each story's time span",
    `WITH s AS (
  SELECT unnest($actors) AS actor, unnest($froms)::TIMESTAMPTZ AS t0,
    unnest($tos)::TIMESTAMPTZ AS t1, unnest($idx) AS i
)
SELECT s.i, count(e.event_id) AS n
FROM s LEFT JOIN ${SCOPE_TABLE} e
  ON e.detect AND e.actor = s.actor AND e.event_time >= s.t0 AND e.event_time <= s.t1
GROUP BY s.i`,
    {
      actors: listValue(stories.map((s) => s.actor)),
      froms: listValue(stories.map((s) => s.firstSeen)),
      tos: listValue(stories.map((s) => s.lastSeen)),
      idx: listValue(stories.map((_, i) => i)),
    },
  );
  for (const r of rows) stories[Number(r.i)]!.eventCount = Number(r.n);
}
