/**
 * `trailbook baseline`: what each principal did in the detection window that its baseline does
 * not explain, as findings, stories, actors too new to judge, or what suppressions took out.
 * The rows go to stdout (or --out); a summary of what was counted and left out goes to stderr.
 */
import type { Command } from "commander";
import {
  BaselineOptionError,
  loadSuppressions,
  runBaseline,
  type BaselineOptions,
  type BaselineResult,
} from "../baseline/index.js";
import { DEFAULT_FIELDS } from "../baseline/first-seen.js";
import { actorLabel } from "../store/actor.js";
import type { ColumnKinds } from "../query/columns.js";
import { splitList } from "../query/filters.js";
import type { ExitStatus } from "./exit.js";
import { UsageError } from "./exit.js";
import { choice, nonNegativeNumber, positiveInteger, wholeNumber } from "./options.js";
import {
  addCommonOptions,
  asUsage,
  filtersOf,
  formatOf,
  withCase,
  writeOutput,
  type CommonOptions,
  type Output,
} from "./query-output.js";

/** What the rows on stdout are. */
export const BASELINE_VIEWS = ["findings", "stories", "insufficient", "suppressed"] as const;
export type BaselineView = (typeof BASELINE_VIEWS)[number];

interface BaselineCommandOptions extends CommonOptions {
  detectFrom: string;
  detectTo?: string;
  baselineDays?: number;
  baselineFrom?: string;
  baselineTo?: string;
  suppress?: string;
  fields?: string;
  minHistoryDays?: number;
  minScore?: number;
  minHourlyEvents?: number;
  minDailyEvents?: number;
  show: string;
}

/** The command-line spelling of each option the library names in its errors. */
const FLAGS: Record<string, string> = {
  detectFrom: "--detect-from",
  detectTo: "--detect-to",
  baselineDays: "--baseline-days",
  baselineFrom: "--baseline-from",
  baselineTo: "--baseline-to",
  fields: "--fields",
  minHistoryDays: "--min-history-days",
  minScore: "--min-score",
  minHourlyEvents: "--min-hourly-events",
  minDailyEvents: "--min-daily-events",
  accounts: "--accounts",
  principals: "--principals",
  eventNames: "--event-names",
  regions: "--regions",
};

/** A library error about an option, worded with the command line's option names. */
function usageOf(e: BaselineOptionError): UsageError {
  let message = e.message;
  for (const [name, flag] of Object.entries(FLAGS)) {
    // camelCase names cannot be ordinary words of the message; plain ones only as its subject.
    const pattern = /[A-Z]/.test(name) ? new RegExp(`\\b${name}\\b`, "g") : new RegExp(`^${name}:`);
    message = message.replace(pattern, (m) => m.replace(name, flag));
  }
  const flag = FLAGS[e.field];
  if (flag && !message.includes(flag)) message = `${flag}: ${message}`;
  return new UsageError(message);
}

/** Runs a step, wording the baseline's option errors with the command line's option names. */
async function withFlagNames<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof BaselineOptionError) throw usageOf(e);
    throw e;
  }
}

async function optionsOf(opts: BaselineCommandOptions): Promise<BaselineOptions> {
  // The detection window has its own options: --from/--to would be ambiguous here.
  for (const [given, flag] of [
    [opts.from, "--from"],
    [opts.to, "--to"],
  ] as const) {
    if (given !== undefined) {
      throw new UsageError(
        `${flag} does not apply to baseline: use --detect-from/--detect-to for the window scored, and --baseline-days or --baseline-from/--baseline-to for the baseline`,
      );
    }
  }
  const options: BaselineOptions = { ...filtersOf(opts), detectFrom: opts.detectFrom };
  const copy = [
    "detectTo",
    "baselineDays",
    "baselineFrom",
    "baselineTo",
    "minHistoryDays",
    "minScore",
    "minHourlyEvents",
    "minDailyEvents",
  ] as const;
  for (const key of copy) {
    if (opts[key] !== undefined) (options as unknown as Record<string, unknown>)[key] = opts[key];
  }
  const fields = opts.fields === undefined ? undefined : (splitList(opts.fields) ?? []);
  if (fields !== undefined) options.fields = fields;
  if (opts.suppress !== undefined) options.suppressions = await loadSuppressions(opts.suppress);
  return options;
}

/** Column kinds (Parquet types): the rows are built here, not by a query. */
const COLUMN_KINDS: ColumnKinds = {
  rank: "integer",
  score: "number",
  first_seen: "timestamp",
  last_seen: "timestamp",
  events: "integer",
  findings: "integer",
  kinds: "string[]",
  finding_ids: "string[]",
  event_ids: "string[]",
  baseline_days: "integer",
  baseline_events: "integer",
  detection_events: "integer",
  rule: "integer",
};

/** The rows of one view of a result, with the columns a terminal table shows. */
export function baselineRows(result: BaselineResult, view: BaselineView): Output {
  const out = viewRows(result, view);
  const types: ColumnKinds = {};
  for (const name of out.columns) types[name] = COLUMN_KINDS[name] ?? "string";
  return { ...out, types };
}

function viewRows(result: BaselineResult, view: BaselineView): Output {
  switch (view) {
    case "findings":
      return {
        columns: [
          "rank",
          "score",
          "story",
          "principal",
          "actor",
          "kind",
          "field",
          "value",
          "first_seen",
          "last_seen",
          "events",
          "title",
          "explanation",
          "baseline",
          "event_ids",
        ],
        tableColumns: [
          "rank",
          "score",
          "story",
          "principal",
          "kind",
          "value",
          "first_seen",
          "events",
        ],
        rows: result.findings.map((f, i) => ({
          rank: i + 1,
          score: f.score,
          story: f.group,
          principal: actorLabel(f.actor),
          actor: f.actor,
          kind: f.kind,
          field: f.field,
          value: f.value,
          first_seen: f.firstSeen,
          last_seen: f.lastSeen,
          events: f.eventCount,
          title: f.title,
          explanation: f.explanation,
          baseline: f.baseline.summary,
          event_ids: f.eventIds,
        })),
      };
    case "stories":
      return {
        columns: [
          "rank",
          "score",
          "story",
          "principal",
          "actor",
          "first_seen",
          "last_seen",
          "findings",
          "kinds",
          "events",
          "title",
          "finding_ids",
          "event_ids",
        ],
        tableColumns: ["rank", "score", "principal", "kinds", "first_seen", "last_seen", "events"],
        rows: result.stories.map((s, i) => ({
          rank: i + 1,
          score: s.score,
          story: s.id,
          principal: actorLabel(s.actor),
          actor: s.actor,
          first_seen: s.firstSeen,
          last_seen: s.lastSeen,
          findings: s.findingIds.length,
          kinds: s.kinds,
          events: s.eventCount,
          title: s.title,
          finding_ids: s.findingIds,
          event_ids: s.eventIds,
        })),
      };
    case "insufficient":
      return {
        columns: [
          "actor",
          "baseline_days",
          "baseline_events",
          "detection_events",
          "first_seen",
          "last_seen",
          "event_ids",
        ],
        tableColumns: [
          "actor",
          "baseline_days",
          "baseline_events",
          "detection_events",
          "first_seen",
          "last_seen",
        ],
        rows: result.insufficientHistory.map((a) => ({
          actor: a.actor,
          baseline_days: a.baselineDays,
          baseline_events: a.baselineEvents,
          detection_events: a.detectionEvents,
          first_seen: a.firstSeen,
          last_seen: a.lastSeen,
          event_ids: a.eventIds,
        })),
      };
    case "suppressed":
      return {
        columns: [
          "rule",
          "rule_id",
          "reason",
          "score",
          "actor",
          "kind",
          "field",
          "value",
          "first_seen",
          "events",
          "title",
          "event_ids",
        ],
        tableColumns: ["rule", "reason", "score", "kind", "title", "events"],
        rows: result.suppressed.findings.map((f) => {
          const rule = result.options.suppressions[f.suppressedBy]!;
          return {
            rule: f.suppressedBy,
            rule_id: rule.id ?? null,
            reason: rule.reason,
            score: f.score,
            actor: f.actor,
            kind: f.kind,
            field: f.field,
            value: f.value,
            first_seen: f.firstSeen,
            events: f.eventCount,
            title: f.title,
            event_ids: f.eventIds,
          };
        }),
      };
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** What was scored, what was counted and left out, in a few lines for stderr. */
export function baselineSummary(result: BaselineResult): string {
  const { windows: w, counts: n } = result;
  const iso = (t: string) => t.replace(".000Z", "Z");
  const lines = [
    `baseline ${iso(w.baseline.from)} to ${iso(w.baseline.to)} (${w.baseline.days} days, ` +
      `${plural(n.baselineEvents, "event")} on ${plural(n.baselineCoveredDays, "day")}); ` +
      `detection ${iso(w.detection.from)} to ${iso(w.detection.to)} (${plural(n.detectionEvents, "event")})`,
    `${plural(n.actors, "principal")} active in the detection window: ${n.scoredActors} scored, ` +
      `${result.insufficientHistory.length} with less than ${result.options.minHistoryDays} days of history (--show insufficient)`,
    `left out: ${plural(n.serviceEvents, "event")} of ${plural(n.serviceActors, "AWS service principal")}, ` +
      `${plural(n.unattributedEvents, "event")} with no identifiable caller`,
    `${plural(result.findings.length, "finding")} in ${plural(result.stories.length, "story", "stories")}; ` +
      `${plural(result.belowThreshold.count, "finding")} below --min-score ${result.options.minScore}; ` +
      `${plural(result.suppressed.count, "finding")} suppressed (--show suppressed)`,
    ...result.suppressed.byRule.map(
      (r) =>
        `  suppression rule ${r.index}${r.rule.id ? ` (${r.rule.id})` : ""}: ` +
        `${plural(r.findings, "finding")}, ${plural(r.events, "event")}: ${r.rule.reason}`,
    ),
  ];
  return lines.join("\n") + "\n";
}

export function registerBaseline(program: Command, _status: ExitStatus): void {
  addCommonOptions(
    program
      .command("baseline")
      .description(
        "what each principal did in the detection window that it never did before, far more than usual, or at unusual hours",
      )
      .requiredOption("--detect-from <time>", "start of the detection window (ISO 8601, UTC)")
      .option(
        "--detect-to <time>",
        "end of the detection window, exclusive (default: the case's end)",
      )
      .option(
        "--baseline-days <n>",
        "the baseline is the n days before --detect-from (default 21)",
        positiveInteger,
      )
      .option("--baseline-from <time>", "start of an explicit baseline window (with --baseline-to)")
      .option("--baseline-to <time>", "end of an explicit baseline window, exclusive")
      .option("--suppress <file>", "JSON file of known-benign patterns, applied and counted")
      .option(
        "--fields <list>",
        "first-seen fields and combinations (a+b+c), comma-separated (see below)",
      )
      .option(
        "--min-history-days <n>",
        "days of baseline activity needed to be scored (default 3)",
        wholeNumber,
      )
      .option("--min-score <x>", "lowest score reported (default 1)", nonNegativeNumber)
      .option(
        "--min-hourly-events <n>",
        "fewest calls in an hour for a volume finding (default 20)",
        wholeNumber,
      )
      .option(
        "--min-daily-events <n>",
        "fewest calls in a day for a volume finding (default 50)",
        wholeNumber,
      )
      .option("--show <view>", `rows to write: ${BASELINE_VIEWS.join(", ")}`, "findings"),
  )
    .addHelpText(
      "after",
      `
Fields: region, source_prefix, source_ip, user_agent_family, user_agent_version, event_name,
error_code, or up to three joined by + (region+event_name+user_agent_family).
Default: ${DEFAULT_FIELDS.join(",")}.
--accounts, --principals, --event-names and --regions narrow the events looked at; the windows
come from --detect-from/--detect-to and --baseline-*, not --from/--to.

Suppression file: {"rules": [{"actor": "arn:aws:iam::*:role/ci-*", "field": "user_agent_version",
"value": "aws-cli/*", "reason": "CI images update the CLI"}]} (actor and value are globs).

The rows go to stdout (or --out); what was scored, left out, below the score and suppressed is
summarised on stderr. json and ndjson rows carry the event ids.

Examples:
  $ trailbook baseline --db case.duckdb --detect-from 2026-10-26
  $ trailbook baseline --db case.duckdb --detect-from 2026-10-26 --show stories --format json
  $ trailbook baseline --db case.duckdb --detect-from 2026-10-26T00:00Z --detect-to 2026-10-28 \\
      --baseline-from 2026-09-01 --baseline-to 2026-10-26 --suppress benign.json \\
      --fields region,source_ip,region+event_name --format csv --out findings.csv`,
    )
    .action(async (opts: BaselineCommandOptions) =>
      asUsage(async () => {
        const format = formatOf(opts);
        const view = choice("--show", opts.show, BASELINE_VIEWS);
        const options = await withFlagNames(() => optionsOf(opts));
        await withCase(opts.db, async (c) => {
          const result = await withFlagNames(() => runBaseline(c, options));
          await writeOutput(c, baselineRows(result, view), format, opts.out);
          process.stderr.write(baselineSummary(result));
        });
      }),
    );
}
