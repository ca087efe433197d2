/**
 * What to deploy after an STS-by-region investigation: a region-lock SCP for the allowed regions,
 * and a CloudWatch Logs metric filter with an alarm (CloudFormation) that catches STS calls
 * outside them. The filter's logic is then checked against the case file: the events it would
 * have matched must be exactly the outside calls the query found.
 */
import type { Case } from "./case.js";
import { filtersToSql, normalizeFilters, type QueryFilters } from "./filters.js";
import { filterPatternToSql, parseFilterPattern } from "./filter-pattern.js";
import { regionLockFromRegions } from "./region-lock.js";
import { outsideCallsSql } from "./sts-outside.js";
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
  return `{ ${parts.join(" && ")} }`;
}

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

/** The outcome of checking a filter pattern against the case file. */
export interface FilterPatternCheck {
  pattern: string;
  /** Events the filter would have matched. */
  filterCount: number;
  /** STS calls outside the allowed regions, AWS service principals left out, by the query. */
  queryCount: number;
  equal: boolean;
  /** The outside calls the counts rest on, earliest first (at most 50), and how many more. */
  eventIds: string[];
  eventIdsOmitted: number;
  /** Event ids only one side found (at most 50 each). */
  onlyFilter: string[];
  onlyQuery: string[];
  sql: { filter: string; query: string };
}

/**
 * Counts what `pattern` would match in the case, and what the outside-regions query finds (AWS
 * service principals left out, as the alarm leaves them out), and lists any difference.
 */
export async function checkFilterPattern(
  c: Case,
  pattern: string,
  options: QueryFilters & { allowedRegions: string[] },
): Promise<FilterPatternCheck> {
  const tree = parseFilterPattern(pattern);
  const translated = filterPatternToSql(tree);
  const where = filtersToSql(normalizeFilters(options), { alias: "e" });
  const filterSql = `SELECT e.event_id FROM ${translated.needsRecord ? "event_records" : "events"} e
WHERE ${where.sql} AND ${translated.sql}`;
  const outside = outsideCallsSql(regionLockFromRegions(options.allowedRegions), options);
  const querySql = `SELECT event_id, event_time FROM (${outside.sql}) WHERE identity_type IS DISTINCT FROM 'AWSService'`;
  const sql = `WITH f AS (${filterSql}), q AS (${querySql})
SELECT (SELECT count(*) FROM f) AS filter_count, (SELECT count(*) FROM q) AS query_count,
  (SELECT list(event_id ORDER BY event_id)[1:50] FROM (SELECT event_id FROM f EXCEPT ALL SELECT event_id FROM q)) AS only_filter,
  (SELECT list(event_id ORDER BY event_id)[1:50] FROM (SELECT event_id FROM q EXCEPT ALL SELECT event_id FROM f)) AS only_query,
  (SELECT list(event_id ORDER BY event_time, event_id)[1:50] FROM q) AS query_ids`;
  const { rows } = await c.sql<{
    filter_count: number;
    query_count: number;
    only_filter: string[] | null;
    only_query: string[] | null;
    query_ids: string[] | null;
  }>(sql, { ...where.params, ...translated.params, ...outside.params });
  const r = rows[0]!;
  return {
    pattern,
    filterCount: r.filter_count,
    queryCount: r.query_count,
    equal: r.filter_count === r.query_count && !r.only_filter?.length && !r.only_query?.length,
    eventIds: r.query_ids ?? [],
    eventIdsOmitted: Math.max(r.query_count - 50, 0),
    onlyFilter: r.only_filter ?? [],
    onlyQuery: r.only_query ?? [],
    sql: { filter: filterSql, query: querySql },
  };
}
