/**
 * What to deploy after an STS-by-region investigation: a region-lock SCP for the allowed regions,
 * and a CloudWatch Logs metric filter with an alarm (CloudFormation) that catches STS calls
 * outside them. The filter's logic is then checked against the case file: the events it would
 * have matched must be exactly the outside calls the query found.
 */
import type { Case, SqlParams } from "./case.js";
import {
  filtersToSql,
  normalizeFilters,
  oneOf,
  QueryOptionsError,
  type QueryFilters,
} from "./filters.js";
import { filterPatternToSql, matchFilterPattern, parseFilterPattern } from "./filter-pattern.js";
import { regionLockFromRegions } from "./region-lock.js";
import { outsideCallsSql } from "./sts-outside.js";
import { originalRecords, recordRangesSql } from "./records.js";
import { STS_SOURCE } from "./sts-regions.js";

/** The ARN pattern to replace with the role(s) that must keep working in every region. */
export const ADMIN_ROLE_PLACEHOLDER = "arn:aws:iam::*:role/REPLACE-WITH-BREAK-GLASS-ROLE";

// Services whose calls are made to (or logged in) us-east-1 whatever region a workload runs in:
// a region lock that denied them would break the console, IAM and billing everywhere. STS is
// deliberately not here: locking STS to the allowed regions is the point of this control.
const GLOBAL_SERVICE_ACTIONS = [
  "account:*",
  "aws-portal:*",
  "budgets:*",
  "ce:*",
  "cloudfront:*",
  "cur:*",
  "globalaccelerator:*",
  "health:*",
  "iam:*",
  "importexport:*",
  "organizations:*",
  "pricing:*",
  "route53:*",
  "route53domains:*",
  "shield:*",
  "support:*",
  "trustedadvisor:*",
  "waf:*",
];

export interface StsControls {
  allowedRegions: string[];
  /** The SCP document to attach (after replacing the placeholder). */
  scp: Record<string, unknown>;
  /** What the SCP cannot do, and what to check before attaching it. */
  notes: string[];
  /** The CloudWatch Logs metric filter pattern. */
  metricFilterPattern: string;
  /** A CloudFormation template with the metric filter and the alarm. */
  cloudFormation: Record<string, unknown>;
}

/** The controls for a list of allowed regions. */
export function stsControls(allowedRegions: string[]): StsControls {
  const regions = regionLockFromRegions(allowedRegions).allowedRegions;
  const scp = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyOutsideAllowedRegions",
        Effect: "Deny",
        NotAction: GLOBAL_SERVICE_ACTIONS,
        Resource: "*",
        Condition: {
          StringNotEquals: { "aws:RequestedRegion": regions },
          ArnNotLike: { "aws:PrincipalARN": [ADMIN_ROLE_PLACEHOLDER] },
        },
      },
    ],
  };
  const notes = [
    "sts:GetCallerIdentity and sts:GetSessionToken cannot be denied by any policy: this SCP " +
      "does not stop them, and the alarm below is what sees them (stolen keys probed in an " +
      "unused region show up exactly as these calls).",
    `Replace ${ADMIN_ROLE_PLACEHOLDER} with the role(s) that must keep working in every region, ` +
      "or remove the ArnNotLike block.",
    "SCPs do not apply to the organization's management account, to AWS service principals or " +
      "to service-linked roles.",
    ...(regions.includes("us-east-1")
      ? []
      : [
          "us-east-1 is not allowed: calls to the global STS endpoint (sts.amazonaws.com) are " +
            "requested in us-east-1 and will be denied; callers must use regional endpoints.",
        ]),
    "AWS Control Tower's region-deny control exempts sts:* entirely; with it alone, STS stays " +
      "open in every region.",
  ];
  const metricFilterPattern = stsOutsidePattern(regions);
  return {
    allowedRegions: regions,
    scp,
    notes,
    metricFilterPattern,
    cloudFormation: template(metricFilterPattern, regions),
  };
}

/**
 * The filter pattern: STS events logged in a region not allowed, AWS service principals left out
 * (AWS Config assumes its role in every region every day). `awsRegion` is the requested region
 * for STS: a regional endpoint logs its own region, the global endpoint logs us-east-1.
 */
export function stsOutsidePattern(allowedRegions: string[]): string {
  const parts = [
    `($.eventSource = "${STS_SOURCE}")`,
    ...allowedRegions.map((r) => `($.awsRegion != "${r}")`),
    `($.userIdentity.type != "AWSService")`,
  ];
  const pattern = `{ ${parts.join(" && ")} }`;
  if (pattern.length > MAX_FILTER_PATTERN) {
    throw new QueryOptionsError(
      "value-invalid",
      "allowedRegions",
      allowedRegions,
      `the filter pattern for ${allowedRegions.length} allowed regions is ${pattern.length} ` +
        `characters, over CloudWatch Logs' limit of ${MAX_FILTER_PATTERN}: allow fewer regions, ` +
        "or use wildcards (eu-*) in them",
    );
  }
  return pattern;
}

/** CloudWatch Logs' limit on a metric filter pattern (AWS::Logs::MetricFilter FilterPattern). */
export const MAX_FILTER_PATTERN = 1024;

function template(pattern: string, regions: string[]): Record<string, unknown> {
  const namespace = "Trailbook/Security";
  const metric = "StsCallsOutsideAllowedRegions";
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Description: `Alarm on AWS STS calls outside ${regions.join(", ")} (from trailbook sts controls)`,
    Parameters: {
      CloudTrailLogGroupName: {
        Type: "String",
        Description: "The CloudWatch Logs group a multi-region (organization) trail delivers to",
      },
      AlarmTopicArn: { Type: "String", Description: "The SNS topic to notify" },
    },
    Resources: {
      StsOutsideAllowedRegionsFilter: {
        Type: "AWS::Logs::MetricFilter",
        Properties: {
          LogGroupName: { Ref: "CloudTrailLogGroupName" },
          FilterName: "sts-outside-allowed-regions",
          FilterPattern: pattern,
          MetricTransformations: [
            { MetricNamespace: namespace, MetricName: metric, MetricValue: "1", DefaultValue: 0 },
          ],
        },
      },
      StsOutsideAllowedRegionsAlarm: {
        Type: "AWS::CloudWatch::Alarm",
        Properties: {
          AlarmName: "sts-outside-allowed-regions",
          AlarmDescription: `AWS STS was called outside the allowed regions (${regions.join(", ")})`,
          Namespace: namespace,
          MetricName: metric,
          Statistic: "Sum",
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: "GreaterThanOrEqualToThreshold",
          TreatMissingData: "notBreaching",
          AlarmActions: [{ Ref: "AlarmTopicArn" }],
        },
      },
    },
  };
}

/**
 * How the pattern is evaluated against the case:
 * - `sql`: the pattern's parse tree translated to SQL over the columns that hold the record
 *   fields it names (fast; what the benchmark times);
 * - `records`: every original record of the case (in the time range) read back from the kept
 *   file bytes, parsed, and tested by the pattern interpreter in JS: independent of how the
 *   ingest extracted columns, and slower (it decompresses and parses the whole case: about a
 *   second for the 13,618-event sample).
 *
 * Either way, the other side of the comparison is the outside-regions query, which decides from
 * the requested region (RequestDetails, the host called, the logged region) and never reads the
 * pattern: the two agree only if the pattern's logic is right for this evidence.
 */
export const PATTERN_EVALUATIONS = ["sql", "records"] as const;
export type PatternEvaluation = (typeof PATTERN_EVALUATIONS)[number];

/** The outcome of checking a filter pattern against the case file. */
export interface FilterPatternCheck {
  pattern: string;
  evaluation: PatternEvaluation;
  /** Events the filter would have matched. */
  filterCount: number;
  /** STS calls outside the allowed regions, AWS service principals left out, by the query. */
  queryCount: number;
  /** Both counts are equal and both sides found the same events. */
  equal: boolean;
  /** The outside calls the counts rest on, earliest first (at most 50), and how many more. */
  eventIds: string[];
  eventIdsOmitted: number;
  /** Event ids only one side found (at most 50 each). */
  onlyFilter: string[];
  onlyQuery: string[];
  /** Records read and tested (`records` evaluation), else null. */
  recordsTested: number | null;
  /** The two statements compared, and the parameters each was run with. */
  sql: { filter: string; query: string };
  params: { filter: SqlParams; query: SqlParams };
}

export interface FilterPatternCheckOptions extends QueryFilters {
  allowedRegions: string[];
  /** Default `sql`. */
  evaluation?: PatternEvaluation;
}

const LISTED = 50;

/**
 * Counts what `pattern` would match in the case, and what the outside-regions query finds (AWS
 * service principals left out, as the alarm leaves them out), and lists any difference.
 */
export async function checkFilterPattern(
  c: Case,
  pattern: string,
  options: FilterPatternCheckOptions,
): Promise<FilterPatternCheck> {
  const evaluation = oneOf(options.evaluation, PATTERN_EVALUATIONS, "evaluation", "sql");
  const tree = parseFilterPattern(pattern);
  const where = filtersToSql(normalizeFilters(options), { alias: "e" });
  const outside = outsideCallsSql(regionLockFromRegions(options.allowedRegions), options);
  const querySql = `SELECT event_id, event_time FROM (${outside.sql}) WHERE identity_type IS DISTINCT FROM 'AWSService'`;
  const query = await c.sql<{ event_id: string; event_time: string }>(querySql, outside.params);
  const queryIds = query.rows.map((r) => r.event_id);

  let filterIds: string[];
  let filterSql: string;
  let params: SqlParams;
  let recordsTested: number | null = null;
  if (evaluation === "sql") {
    const translated = filterPatternToSql(tree);
    filterSql = `SELECT e.event_id FROM ${translated.needsRecord ? "event_records" : "events"} e
WHERE ${where.sql} AND ${translated.sql}`;
    params = { ...where.params, ...translated.params };
    filterIds = (await c.sql<{ event_id: string }>(filterSql, params)).rows.map((r) => r.event_id);
  } else {
    const ranges = recordRangesSql(options);
    filterSql = ranges.sql;
    params = ranges.params;
    filterIds = [];
    recordsTested = 0;
    for await (const page of originalRecords(c, options)) {
      for (const r of page) {
        recordsTested++;
        if (matchFilterPattern(tree, r.record)) filterIds.push(r.event_id);
      }
    }
  }
  const onlyFilter = difference(filterIds, queryIds);
  const onlyQuery = difference(queryIds, filterIds);
  return {
    pattern,
    evaluation,
    filterCount: filterIds.length,
    queryCount: queryIds.length,
    equal:
      filterIds.length === queryIds.length && onlyFilter.length === 0 && onlyQuery.length === 0,
    eventIds: queryIds.slice(0, LISTED),
    eventIdsOmitted: Math.max(queryIds.length - LISTED, 0),
    onlyFilter: onlyFilter.slice(0, LISTED),
    onlyQuery: onlyQuery.slice(0, LISTED),
    recordsTested,
    sql: { filter: filterSql, query: querySql },
    params: { filter: params, query: outside.params },
  };
}

/** The ids of `a` not in `b`, counting copies (a multiset difference), sorted. */
function difference(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const id of b) left.set(id, (left.get(id) ?? 0) + 1);
  const out: string[] = [];
  for (const id of a) {
    const n = left.get(id) ?? 0;
    if (n > 0) left.set(id, n - 1);
    else out.push(id);
  }
  return out.sort();
}
