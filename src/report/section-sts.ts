/** The report's STS sections: calls outside the allowed regions with verdicts, and the controls. */
import { outsideVerdictChart } from "../chart/findings.js";
import type { Case } from "../query/case.js";
import { checkFilterPattern, stsControls } from "../query/controls.js";
import type { QueryFilters } from "../query/filters.js";
import {
  OUTSIDE_PRINCIPAL_COLUMNS,
  OUTSIDE_VERDICTS,
  stsOutsideRegions,
  type StsOutsideOptions,
} from "../query/sts-outside.js";
import { cols, sqlOf, type ReportSection } from "./model.js";

export async function outsideSections(
  c: Case,
  filters: QueryFilters,
  lockOptions: Pick<
    StsOutsideOptions,
    "allowedRegions" | "policy" | "policyFile" | "organization" | "organizationFile"
  >,
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
          "service-linked roles, which SCPs do not govern), federated-not-governed (SAML and " +
          "web-identity assumptions, made with an assertion rather than AWS credentials), " +
          "account-not-governed (the management account, or an account outside the " +
          "organization), undetermined (the outcome depends on something the log cannot tell), " +
          "allowed-by-policy.",
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
          columns: cols(...OUTSIDE_PRINCIPAL_COLUMNS),
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
            sqlOf(
              { sql: check.sql.filter, params: check.params.filter },
              "events the filter pattern matches",
            ),
            sqlOf(
              { sql: check.sql.query, params: check.params.query },
              "STS calls outside the allowed regions",
            ),
          ],
          derivation:
            "The filter pattern is translated to SQL over the events; the outside-regions query " +
            "decides from the requested region and never reads the pattern. The event ids of " +
            "both are compared.",
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
