/**
 * One baseline run: options checked before any SQL, the scope built in DuckDB, each question
 * asked in SQL, and only the findings brought back to JavaScript to be explained, suppressed,
 * ranked and grouped.
 */
import type { Case } from "../query/case.js";
import {
  filtersToSql,
  listValue,
  normalizeFilters,
  QueryOptionsError,
  type QueryFilters,
  type SqlFragment,
} from "../query/filters.js";
import type {
  ExecutedSql,
  Finding,
  FindingKind,
  InsufficientHistoryActor,
  Story,
} from "./finding.js";
import { byRank, firstSeenFinding, hourFinding, volumeFinding } from "./findings.js";
import { DEFAULT_FIELDS, findFirstSeen, resolveTerms, type TermSpec } from "./first-seen.js";
import { groupFindings } from "./group.js";
import { findUnusualHours } from "./hours.js";
import { ACTORS_TABLE, SCOPE_TABLE, buildScope, dropScope, scopeCounts } from "./scope.js";
import type { ScopeCounts } from "./scope.js";
import { SqlRunner } from "./sql-runner.js";
import {
  applySuppressions,
  checkRule,
  SuppressionFileError,
  type SuppressionCount,
  type SuppressionRule,
} from "./suppress.js";
import { findVolume } from "./volume.js";
import {
  BaselineOptionError,
  resolveWindows,
  type BaselineWindows,
  type WindowOptions,
} from "./windows.js";

/** Narrows which events a run looks at, as the query helpers do (all lists OR within). */
export type BaselineFilters = Pick<
  QueryFilters,
  "accounts" | "principals" | "eventNames" | "regions"
>;

/**
 * What `runBaseline` takes: the windows (see WindowOptions), which events to look at, which
 * first-seen fields to compare, the thresholds, and the suppression rules. Every number has a
 * default; a value a user can fix is rejected with a BaselineOptionError before any SQL runs.
 */
export interface BaselineOptions extends WindowOptions, BaselineFilters {
  /**
   * First-seen fields and combinations: `region`, `source_prefix`, `source_ip`,
   * `user_agent_family`, `user_agent_version`, `event_name`, `error_code`, or up to three of
   * them joined by `+` (`region+event_name+user_agent_family`). `source_ip` brings
   * `source_prefix` along and `user_agent_version` brings `user_agent_family` (a new address is
   * judged within its network, a new version within its client). Default: DEFAULT_FIELDS.
   * An empty list asks for volume and hour findings only.
   */
  fields?: readonly string[];
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
  /** Known-benign patterns (see suppress.ts), applied in order and counted per rule. */
  suppressions?: SuppressionRule[];
}

/** The options as the run used them: defaults filled in, fields in their canonical names. */
export interface ResolvedBaselineOptions {
  fields: string[];
  filters: Required<BaselineFilters>;
  minHistoryDays: number;
  groupGapMinutes: number;
  eventIdLimit: number;
  minScore: number;
  minHourlyEvents: number;
  minDailyEvents: number;
  minZ: number;
  minHourDistance: number;
  suppressions: SuppressionRule[];
}

/** Everything a run found and everything it set aside, with the counts that make them add up. */
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
  /** Actors active in the detection window with too little baseline to judge, busiest first. */
  insufficientHistory: InsufficientHistoryActor[];
  /** Findings scoring below minScore: counted, not reported. */
  belowThreshold: { count: number; byKind: Partial<Record<FindingKind, number>> };
  /** What the suppression rules took out, per rule (zero counts included), and the findings. */
  suppressed: {
    count: number;
    byRule: SuppressionCount[];
    findings: (Finding & { suppressedBy: number })[];
  };
  /** Every statement run, in order, with its parameters. */
  sql: ExecutedSql[];
}

const DEFAULTS = {
  minHistoryDays: 3,
  groupGapMinutes: 60,
  eventIdLimit: 20,
  minScore: 1,
  minHourlyEvents: 20,
  minDailyEvents: 50,
  minZ: 5,
  minHourDistance: 2,
} as const;
type NumberOption = keyof typeof DEFAULTS;

// A zero z threshold would divide by zero in the score; a zero id limit would list nothing; a
// zero-day history requirement would score actors with no baseline at all.
const POSITIVE: readonly NumberOption[] = ["minZ", "eventIdLimit", "minHistoryDays"];
const WHOLE: readonly NumberOption[] = [
  "minHistoryDays",
  "eventIdLimit",
  "minHourlyEvents",
  "minDailyEvents",
  "minHourDistance",
];

/** Checks and completes the options; the terms are the first-seen questions they ask. */
export function resolveBaselineOptions(options: BaselineOptions): {
  options: ResolvedBaselineOptions;
  terms: TermSpec[];
  filter: SqlFragment;
} {
  const numbers = { ...DEFAULTS } as Record<NumberOption, number>;
  for (const key of Object.keys(DEFAULTS) as NumberOption[]) {
    const v = options[key];
    if (v === undefined) continue;
    const whole = WHOLE.includes(key);
    const positive = POSITIVE.includes(key);
    const ok =
      typeof v === "number" &&
      Number.isFinite(v) &&
      (positive ? v > 0 : v >= 0) &&
      (!whole || Number.isInteger(v));
    if (!ok) {
      throw new BaselineOptionError(
        "invalid-number",
        key,
        v,
        `${key} must be a ${whole ? "whole " : ""}number${positive ? " above 0" : " of 0 or more"}, got ${String(v)}`,
      );
    }
    numbers[key] = v;
  }
  const { fields, terms } = resolveTerms(options.fields ?? DEFAULT_FIELDS);
  let filters;
  try {
    const f = normalizeFilters({
      ...(options.accounts !== undefined ? { accounts: options.accounts } : {}),
      ...(options.principals !== undefined ? { principals: options.principals } : {}),
      ...(options.eventNames !== undefined ? { eventNames: options.eventNames } : {}),
      ...(options.regions !== undefined ? { regions: options.regions } : {}),
    });
    filters = {
      accounts: f.accounts,
      principals: f.principals,
      eventNames: f.eventNames,
      regions: f.regions,
    };
  } catch (e) {
    if (e instanceof QueryOptionsError) {
      throw new BaselineOptionError("invalid-value", e.option, e.value, e.message);
    }
    throw e;
  }
  const suppressions = checkSuppressions(options.suppressions);
  const filter = filtersToSql({ from: null, to: null, ...filters }, { alias: "e" });
  return {
    options: { ...numbers, fields, filters, suppressions },
    terms,
    filter,
  };
}

/** Rules given in the options are checked like a file's, and their fields made canonical. */
function checkSuppressions(rules: unknown): SuppressionRule[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) {
    throw new BaselineOptionError(
      "invalid-value",
      "suppressions",
      rules,
      "suppressions must be a list of rules (see parseSuppressions)",
    );
  }
  try {
    return rules.map((r, i) => checkRule(r, i, "suppressions"));
  } catch (e) {
    if (e instanceof SuppressionFileError) {
      throw new BaselineOptionError(
        "invalid-value",
        "suppressions",
        e.value,
        e.message.replace("suppressions: rules[", "suppressions["),
      );
    }
    throw e;
  }
}

/**
 * Scores a case's detection window against each actor's baseline: what each principal did that
 * it never did before (first-seen), far more than usual (volume), or at an hour it never acts
 * (unusual-hour). The work runs in DuckDB over temporary tables; only findings, actors too new
 * to judge, and counts come back. The case is only read, and the work tables are dropped before
 * returning.
 *
 * Note: the temporary tables have fixed names, so two runs on one Case must not overlap in time
 * (await one before starting the next); separate Case objects are independent.
 */
export async function runBaseline(c: Case, options: BaselineOptions): Promise<BaselineResult> {
  const { options: opts, terms, filter } = resolveBaselineOptions(options);
  const sql = new SqlRunner(c);
  const [last] = await sql.rows<{ last: string | null }>(
    "latest event in the case",
    "SELECT max(event_time) AS last FROM events",
  );
  const windows = resolveWindows(options, last?.last ? new Date(last.last) : null);
  const baselineDays = Math.round(windows.baseline.days);
  try {
    await buildScope(sql, windows, opts.eventIdLimit, filter);
    const counts = await scopeCounts(sql, windows, filter);
    const [actors] = await sql.rows<{ actors: number; scored: number }>(
      "actors active in the detection window, and how many can be scored",
      `SELECT count(*) AS actors, count(*) FILTER (WHERE baseline_days >= $min_days) AS scored
FROM ${ACTORS_TABLE}`,
      { min_days: opts.minHistoryDays },
    );
    const insufficientHistory = await findInsufficientHistory(sql, opts.minHistoryDays);

    const all: Finding[] = [];
    const common = { minHistoryDays: opts.minHistoryDays, eventIdLimit: opts.eventIdLimit };
    for (const { term, rows } of await findFirstSeen(sql, terms, {
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
    const outcome = applySuppressions(strong, opts.suppressions);
    const findings = outcome.kept.sort(byRank);
    const stories = groupFindings(findings, opts.groupGapMinutes, opts.eventIdLimit);
    await countStoryEvents(sql, stories);
    return {
      windows,
      options: opts,
      counts: {
        ...counts,
        actors: Number(actors?.actors ?? 0),
        scoredActors: Number(actors?.scored ?? 0),
      },
      findings,
      stories,
      insufficientHistory,
      belowThreshold: { count: all.length - strong.length, byKind },
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

async function findInsufficientHistory(
  sql: SqlRunner,
  minHistoryDays: number,
): Promise<InsufficientHistoryActor[]> {
  const rows = await sql.rows<{
    actor: string;
    baseline_days: number;
    baseline_events: number;
    detection_events: number;
    first_seen: string;
    last_seen: string;
    event_ids: string[];
  }>(
    "actors with too little history to judge",
    `SELECT * FROM ${ACTORS_TABLE} WHERE baseline_days < $min_days
ORDER BY detection_events DESC, actor`,
    { min_days: minHistoryDays },
  );
  return rows.map((a) => ({
    actor: a.actor,
    baselineDays: Number(a.baseline_days),
    baselineEvents: Number(a.baseline_events),
    detectionEvents: Number(a.detection_events),
    firstSeen: a.first_seen,
    lastSeen: a.last_seen,
    eventIds: a.event_ids,
  }));
}

/** Each story's count of all the actor's events in its time span, in one statement. */
async function countStoryEvents(sql: SqlRunner, stories: Story[]): Promise<void> {
  if (stories.length === 0) return;
  const rows = await sql.rows<{ i: number; n: number }>(
    "events in each story's time span",
    `WITH s AS (
  SELECT unnest($actors) AS actor, unnest($froms)::TIMESTAMPTZ AS t0,
    unnest($tos)::TIMESTAMPTZ AS t1, unnest($idx)::INTEGER AS i
)
SELECT s.i, count(e.event_id) AS n
FROM s LEFT JOIN ${SCOPE_TABLE} e
  ON e.detect AND e.actor = s.actor AND e.event_time >= s.t0 AND e.event_time <= s.t1
GROUP BY s.i`,
    {
      actors: listValue(stories.map((s) => s.actor)),
      froms: listValue(stories.map((s) => s.firstSeen)),
      tos: listValue(stories.map((s) => s.lastSeen)),
      idx: listValue(stories.map((_, i) => String(i))),
    },
  );
  for (const r of rows) stories[Number(r.i)]!.eventCount = Number(r.n);
}
