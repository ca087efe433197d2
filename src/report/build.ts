/**
 * Builds the audit report of a case for a time range: runs the questions (scope, STS by region,
 * calls outside the allowed regions, activity, baselines, controls) and keeps, for every table,
 * the SQL that produced it.
 */
import { callsOverTimeChart, principalRegionChart } from "../chart/activity.js";
import { stsRegionChart } from "../chart/sts-regions.js";
import type { BaselineOptions } from "../baseline/index.js";
import { callsOverTime, principalsByRegion } from "../query/activity.js";
import type { Case } from "../query/case.js";
import { normalizeFilters, type QueryFilters } from "../query/filters.js";
import { caseScope } from "../query/scope.js";
import { regionLockOf, type StsOutsideOptions } from "../query/sts-outside.js";
import { STS_SOURCE, stsByRegion } from "../query/sts-regions.js";
import { TOOL_VERSION } from "../store/version.js";
import { cols, sqlOf, type AuditReport, type ReportSection } from "./model.js";
import { baselineSection } from "./section-baseline.js";
import { scopeSection } from "./section-scope.js";
import { outsideSections } from "./section-sts.js";
import { trustSection } from "./section-trust.js";

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
   * The organization the SCP is attached in (`aws organizations list-accounts` output, see
   * `parseOrganization`): which accounts it governs, and the management account it does not.
   */
  organization?: unknown;
  organizationFile?: string;
  /**
   * Baseline windows. Default: the detection window is the last two UTC days of the range that
   * hold events, the baseline the 21 days before it.
   */
  baseline?: Partial<Pick<BaselineOptions, "detectFrom" | "detectTo" | "baselineDays">>;
  title?: string;
}

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
        columns: cols(...stsOverTime.columns),
        rows: stsOverTime.rows,
        sql: [sqlOf(stsOverTime)],
      },
    ],
    blocks: [],
  };

  const organization = {
    ...(options.organization !== undefined
      ? { organization: options.organization as StsOutsideOptions["organization"] }
      : {}),
    ...(options.organizationFile ? { organizationFile: options.organizationFile } : {}),
  };
  const [outsideSection, controlsSection] = lock
    ? await outsideSections(c, filters, { ...lockOptions, ...organization }, options.policyFile)
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

  const trust = await trustSection(c, filters);
  const baseline = await baselineSection(c, span.last_event, range.to, options.baseline);
  // Who acted where comes after the findings it helps to read; the controls close the report.
  const sections = [
    scopeSection(scope, range, lock, options.policyFile),
    stsSection,
    ...(outsideSection ? [outsideSection] : []),
    trust,
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
