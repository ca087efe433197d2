/**
 * Builds the audit report of a case for a time range: runs the questions (scope, STS by region,
 * calls outside the allowed regions, activity, baselines, controls) and keeps, for every table,
 * the SQL that produced it.
 */
import { baselineTimelineChart, outsideVerdictChart } from "../chart/findings.js";
import { callsOverTimeChart, principalRegionChart } from "../chart/activity.js";
import { stsRegionChart } from "../chart/sts-regions.js";
import { runBaseline, type BaselineOptions } from "../baseline/index.js";
import { callsOverTime, principalsByRegion } from "../query/activity.js";
import type { Case } from "../query/case.js";
import { checkFilterPattern, stsControls } from "../query/controls.js";
import { normalizeFilters, type QueryFilters } from "../query/filters.js";
import { caseScope } from "../query/scope.js";
import { OUTSIDE_VERDICTS, regionLockOf, stsOutsideRegions } from "../query/sts-outside.js";
import { STS_SOURCE, stsByRegion } from "../query/sts-regions.js";
import { TOOL_VERSION } from "../store/version.js";
import type { AuditReport, ReportSection, ReportSql, ReportTable } from "./model.js";
import type { TableColumn } from "./table.js";

export interface ReportOptions {
  /** Start of the range, inclusive (ISO 8601 or a date; UTC unless a zone is given). */
  from?: string | Date;
  /** End of the range, exclusive. */
  to?: string | Date;
  /** Allowed regions; with `policy`, they override the regions the policy names. */
  allowedRegions?: string[];
  /** A region-lock SCP (document or bare statement, object or JSON text). */
  policy?: unknown;
  policyFile?: string;
  /**
   * Baseline windows. Default: the detection window is the last two UTC days of the range that
   * hold events, the baseline the 21 days before it.
   */
  baseline?: Partial<Pick<BaselineOptions, "detectFrom" | "detectTo" | "baselineDays">>;
  title?: string;
}

const DAY = 86_400_000;

const cols = (...keys: string[]): TableColumn[] => keys.map((key) => ({ key }));

function sqlOf(result: { sql: string; params: object }, label?: string): ReportSql {
  return { ...(label ? { label } : {}), sql: result.sql, params: { ...result.params } };
}

/** Runs every question of the report and returns it as data. */
export async function buildReport(c: Case, options: ReportOptions = {}): Promise<AuditReport> {
  const filters: QueryFilters = {};
  if (options.from !== undefined) filters.from = options.from;
  if (options.to !== undefined) filters.to = options.to;
  // Checked here, before any query, so a bad time is one clear error.
  const range = normalizeFilters(filters);
  const lockOptions = {
    ...(options.allowedRegions ? { allowedRegions: options.allowedRegions } : {}),
    ...(options.policy !== undefined ? { policy: options.policy } : {}),
    ...(options.policyFile ? { policyFile: options.policyFile } : {}),
  };
  const lock =
    options.allowedRegions || options.policy !== undefined ? regionLockOf(lockOptions) : null;
  const allowed = lock?.allowedRegions;

  const scope = await caseScope(c, filters);
  const span = scope.span.rows[0]!;

  // STS by region.
  const sts = await stsByRegion(c, filters);
  const hours =
    span.first_event && span.last_event
      ? (Date.parse(span.last_event) - Date.parse(span.first_event)) / 3_600_000
      : 0;
  const unit = hours <= 96 ? "hour" : "day";
  const stsOverTime = await callsOverTime(c, {
    ...filters,
    unit,
    eventSources: [STS_SOURCE],
    regionBasis: "serving",
  });
  const stsSection: ReportSection = {
    id: "sts-regions",
    title: "STS calls by region",
    intro: [
      "Calls to the global STS endpoint (sts.amazonaws.com) are logged in us-east-1 wherever they " +
        "were served. The logged region, the serving region and the requested region (what " +
        "aws:RequestedRegion holds, and what a region lock tests) are shown side by side.",
    ],
    charts: [
      stsRegionChart(sts.rows, allowed ? { allowedRegions: allowed } : {}),
      callsOverTimeChart(stsOverTime.rows, {
        unit,
        what: "STS calls",
        subtitle: "counted in the serving region",
        ...(allowed ? { allowedRegions: allowed } : {}),
      }),
    ],
    tables: [
      {
        id: "sts-by-region",
        title: "STS calls by region and event name",
        description: "One row per logged, serving and requested region, endpoint type and event.",
        columns: cols(...sts.columns),
        htmlColumns: cols(
          "logged_region",
          "serving_region",
          "requested_region",
          "endpoint_type",
          "event_name",
          "calls",
          "global_endpoint_calls",
          "errors",
          "errors_by_code",
          "principals",
          "source_ips",
          "first_seen",
          "last_seen",
        ),
        rows: sts.rows,
        sql: [sqlOf(sts)],
      },
      {
        id: "sts-over-time",
        title: `STS calls per ${unit} (UTC) and serving region`,
        description: "The counts behind the chart above.",
        columns: cols("bucket", "region", "calls", "errors", "principals"),
        rows: stsOverTime.rows,
        sql: [sqlOf(stsOverTime)],
      },
    ],
    blocks: [],
  };

  const [outsideSection, controlsSection] = lock
    ? await outsideSections(c, filters, lockOptions, options.policyFile)
    : [];

  const matrix = await principalsByRegion(c, filters);
  const activity: ReportSection = {
    id: "activity",
    title: "Who acted where",
    intro: [
      "Every principal's calls per logged region, all services. AWS services appear as " +
        "service:<name>; a cross-account caller seen only as its account as account:<id>.",
    ],
    charts: [principalRegionChart(matrix.rows, allowed ? { allowedRegions: allowed } : {})],
    tables: [
      {
        id: "principal-regions",
        title: "Calls per principal and region",
        description: "Busiest principals first.",
        columns: cols(...matrix.columns),
        rows: matrix.rows,
        sql: [sqlOf(matrix)],
      },
    ],
    blocks: [],
  };

  const baseline = await baselineSection(c, span.last_event, range.to, options.baseline);
  // Who acted where comes after the findings it helps to read; the controls close the report.
  const sections = [
    scopeSection(scope, range, lock, options.policyFile),
    stsSection,
    ...(outsideSection ? [outsideSection] : []),
    baseline,
    activity,
    ...(controlsSection ? [controlsSection] : []),
  ];
  return {
    title: options.title ?? "trailbook audit report",
    generatedAt: new Date().toISOString(),
    toolVersion: TOOL_VERSION,
    caseFile: c.path,
    range: {
      from: range.from ? range.from.toISOString() : null,
      to: range.to ? range.to.toISOString() : null,
    },
    regionLock: lock
      ? {
          allowedRegions: lock.allowedRegions,
          from: lock.regionsFrom,
          ...(options.policyFile ? { policyFile: options.policyFile } : {}),
        }
      : null,
    sections,
  };
}

function scopeSection(
  scope: Awaited<ReturnType<typeof caseScope>>,
  range: ReturnType<typeof normalizeFilters>,
  lock: ReturnType<typeof regionLockOf> | null,
  policyFile: string | undefined,
): ReportSection {
  const span = scope.span.rows[0]!;
  const quarantined = scope.quarantined.rows.length;
  const asked =
    range.from || range.to
      ? `from ${range.from?.toISOString() ?? "the first event"} to ${range.to?.toISOString() ?? "the last event"} (UTC, end excluded)`
      : "the whole case";
  return {
    id: "scope",
    title: "Scope",
    intro: [
      `Range asked: ${asked}. It holds ${span.events} events from ${span.first_event ?? "-"} to ` +
        `${span.last_event ?? "-"}, in ${span.accounts} accounts and ${span.regions} regions, by ` +
        `${span.principals} principals.`,
      `The case records ${scope.files.rows.length} evidence files, each with its SHA-256; ` +
        (quarantined
          ? `${quarantined} of them could not be read (quarantined, listed below): whatever they held is not in this report.`
          : "none was quarantined."),
      lock
        ? `Allowed regions: ${lock.allowedRegions.join(", ")} (${lock.regionsFrom === "policy" ? `read from ${policyFile ?? "the policy"}` : "given"}).`
        : "No allowed regions were given: the sections on calls outside them and on controls are left out.",
    ],
    charts: [],
    tables: [
      {
        id: "scope-span",
        title: "Events in the range",
        description: "Counts over the events of the range.",
        columns: cols(...scope.span.columns),
        rows: scope.span.rows,
        sql: [sqlOf(scope.span)],
      },
      {
        id: "scope-accounts",
        title: "Accounts",
        description: "Events per account whose trail logged them.",
        columns: cols(...scope.accounts.columns),
        rows: scope.accounts.rows,
        sql: [sqlOf(scope.accounts)],
      },
      {
        id: "scope-event-sources",
        title: "Event sources",
        description: "Events and errors per AWS service.",
        columns: cols(...scope.eventSources.columns),
        rows: scope.eventSources.rows,
        sql: [sqlOf(scope.eventSources)],
      },
      {
        id: "scope-file-counts",
        title: "Evidence files by kind and status",
        description:
          "Every file found, whatever became of it: loaded, skipped (holds no events) or quarantined.",
        columns: cols(...scope.fileCounts.columns),
        rows: scope.fileCounts.rows,
        sql: [sqlOf(scope.fileCounts)],
      },
      {
        id: "scope-quarantined",
        title: "Quarantined files",
        description: "Files that could not be read, with the reason.",
        columns: cols(...scope.quarantined.columns),
        htmlColumns: cols("path", "member", "sha256", "size", "kind", "error_code", "error"),
        rows: scope.quarantined.rows,
        sql: [sqlOf(scope.quarantined)],
      },
      {
        id: "scope-files",
        title: "Evidence files",
        description: "Every file with its SHA-256 and how many of its events fall in the range.",
        columns: cols(...scope.files.columns),
        htmlColumns: cols(
          "path",
          "member",
          "sha256",
          "size",
          "kind",
          "status",
          "events_loaded",
          "events_in_range",
        ),
        rows: scope.files.rows,
        sql: [sqlOf(scope.files)],
      },
      {
        id: "scope-ingest-runs",
        title: "Ingest runs",
        description: "The loads that built the case file.",
        columns: cols(...scope.runs.columns),
        rows: scope.runs.rows,
        sql: [sqlOf(scope.runs)],
      },
    ],
    blocks: [],
  };
}

async function outsideSections(
  c: Case,
  filters: QueryFilters,
  lockOptions: { allowedRegions?: string[]; policy?: unknown; policyFile?: string },
  policyFile: string | undefined,
): Promise<[ReportSection, ReportSection]> {
  const outside = await stsOutsideRegions(c, { ...filters, ...lockOptions });
  const allowed = outside.allowedRegions;
  const derivation =
    "The SQL selects the STS calls whose requested region is outside the allowed regions; each " +
    "verdict is then the policy engine's evaluation of the region-lock policy shown below " +
    "against the request the call was (action, requested region, principal, source).";
  const byVerdict = OUTSIDE_VERDICTS.map((verdict) => ({
    verdict,
    calls: outside.byVerdict[verdict],
  }));
  const sql = [sqlOf(outside)];
  const controls = stsControls(allowed);
  const check = await checkFilterPattern(c, controls.metricFilterPattern, {
    ...filters,
    allowedRegions: allowed,
  });
  return [
    {
      id: "sts-outside",
      title: "STS calls outside the allowed regions",
      intro: [
        `${outside.rows.length} STS calls were requested outside ${allowed.join(", ")}.`,
        "Verdicts: succeeded-would-be-denied (it worked, and the region lock would have denied " +
          "it), denied-as-policy-would (denied, as the lock would), failed-would-be-denied (it " +
          "failed for another reason), not-deniable (GetCallerIdentity and GetSessionToken, which " +
          "no policy can deny), aws-service-not-governed (AWS service principals and " +
          "service-linked roles, which SCPs do not govern), undetermined (the policy tests a " +
          "condition key the log cannot tell), allowed-by-policy.",
      ],
      charts: [outsideVerdictChart(outside.rows, { allowedRegions: allowed })],
      tables: [
        {
          id: "sts-outside-verdicts",
          title: "Calls outside the allowed regions, by verdict",
          description: "How many calls got each verdict.",
          columns: cols("verdict", "calls"),
          rows: byVerdict,
          sql,
          derivation,
        },
        {
          id: "sts-outside-principals",
          title: "Principals with calls outside the allowed regions",
          description: "What each principal did outside, most calls first.",
          columns: cols(...Object.keys(outside.principals[0] ?? { actor: null })),
          htmlColumns: cols(
            "actor",
            "identity_types",
            "accounts",
            "calls",
            "succeeded",
            "failed",
            "verdicts",
            "event_names",
            "requested_regions",
            "source_ips",
            "first_seen",
            "last_seen",
          ),
          rows: outside.principals,
          sql,
          derivation,
        },
        {
          id: "sts-outside-calls",
          title: "Every call outside the allowed regions, with its verdict",
          description: "Earliest first. The explanation says which statement decided.",
          columns: cols(...outside.columns),
          htmlColumns: cols(
            "event_time",
            "event_id",
            "event_name",
            "verdict",
            "actor",
            "source_ip",
            "requested_region",
            "endpoint_type",
            "error_code",
            "undetermined_keys",
            "explanation",
          ),
          rows: outside.rows,
          sql,
          derivation,
        },
      ],
      blocks: [
        {
          id: "region-lock-policy",
          title: `Region-lock policy evaluated${policyFile ? ` (${policyFile})` : " (from --allowed-regions)"}`,
          text: JSON.stringify(outside.policy, null, 2),
        },
      ],
    },
    {
      id: "controls",
      title: "Recommended controls",
      intro: [
        "A service control policy that denies every region-bound action outside the allowed " +
          "regions, STS included, and a CloudWatch Logs metric filter with an alarm for the STS " +
          "calls the policy cannot stop or that happen anyway.",
        ...controls.notes,
        `Checked against this case: the metric filter would have matched ${check.filterCount} ` +
          `events; the outside-regions query (AWS service principals left out) finds ` +
          `${check.queryCount}: ${check.equal ? "they agree" : "they differ"}.`,
      ],
      charts: [],
      tables: [
        {
          id: "controls-filter-check",
          title: "The alarm's filter checked against the case",
          description:
            "Events the metric filter would match against the STS calls outside the allowed regions.",
          columns: cols(
            "filter_count",
            "query_count",
            "equal",
            "event_ids",
            "event_ids_omitted",
            "only_filter",
            "only_query",
          ),
          rows: [
            {
              filter_count: check.filterCount,
              query_count: check.queryCount,
              equal: check.equal,
              event_ids: check.eventIds,
              event_ids_omitted: check.eventIdsOmitted,
              only_filter: check.onlyFilter,
              only_query: check.onlyQuery,
            },
          ],
          sql: [
            { label: "events the filter pattern matches", sql: check.sql.filter, params: {} },
            { label: "STS calls outside the allowed regions", sql: check.sql.query, params: {} },
          ],
          derivation:
            "The filter pattern is translated to SQL over the events; both statements bind the " +
            `range and the values they test as parameters (the allowed regions ${allowed.join(", ")} ` +
            "and the pattern's literals), which the query layer does not return with the SQL.",
        },
      ],
      blocks: [
        {
          id: "controls-scp",
          title: "Service control policy",
          text: JSON.stringify(controls.scp, null, 2),
        },
        {
          id: "controls-filter",
          title: "Metric filter pattern",
          text: controls.metricFilterPattern,
        },
        {
          id: "controls-cloudformation",
          title: "CloudFormation: metric filter and alarm",
          text: JSON.stringify(controls.cloudFormation, null, 2),
        },
      ],
    },
  ];
}

async function baselineSection(
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
