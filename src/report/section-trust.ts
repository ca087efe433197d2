/** The report's trust section: role assumptions decided against the trust policies. */
import { roleAssumptionChart } from "../chart/trust.js";
import { trustCheck } from "../iam/check.js";
import { ROLE_CHAIN_COLUMNS, ROLE_CHAIN_SUMMARY_COLUMNS } from "../iam/chains.js";
import { TRUST_FINDING_COLUMNS, TRUST_FINDING_SUMMARY_COLUMNS } from "../iam/findings.js";
import { ASSUMPTION_EDGE_COLUMNS } from "../iam/graph.js";
import { TRUST_CHECK_COLUMNS, TRUST_VERDICTS } from "../iam/trust.js";
import { UNUSED_ROLE_COLUMNS } from "../iam/unused.js";
import type { Case } from "../query/case.js";
import type { QueryFilters } from "../query/filters.js";
import { cols, type ReportSection, type ReportSql } from "./model.js";

export async function trustSection(c: Case, filters: QueryFilters): Promise<ReportSection> {
  const trust = await trustCheck(c, filters);
  const snapshot = trust.snapshot;
  const sql: ReportSql[] = trust.queries.map((q) => ({
    label: q.name,
    sql: q.sql,
    params: { ...q.params },
  }));
  const derivation =
    "The statements select the role assumptions (AssumeRole, AssumeRoleWithSAML, " +
    "AssumeRoleWithWebIdentity), join the copies a cross-account call leaves in both trails, " +
    "and read the roles of the IAM snapshots; each assumption is then decided by the policy " +
    "engine against its role's trust policy, and the findings drawn from those decisions.";
  const intro =
    snapshot.roles === 0
      ? [
          `No IAM snapshot is in the case (load one with trailbook iam load): the ${trust.rows.length} ` +
            "role assumptions of the range are listed, but no trust policy could be checked.",
        ]
      : [
          `${trust.rows.length} role assumptions checked against the trust policies of ` +
            `${snapshot.roles} roles (IAM snapshots of ${snapshot.accounts.join(", ")}; ` +
            `organization ${snapshot.organizationLoaded ? "loaded" : "not loaded: accounts the case knows stand for it"}).`,
          `${trust.byVerdict["succeeded-but-not-allowed"]} succeeded although the trust policy in the ` +
            `snapshot does not allow them, ${trust.byVerdict["refused-as-trust-would"]} were refused as ` +
            `the trust policy would, ${trust.byVerdict.undetermined} are undetermined.`,
        ];
  return {
    id: "trust",
    title: "Trust policies and role assumptions",
    intro,
    charts: [roleAssumptionChart(trust.graph)],
    tables: [
      {
        id: "trust-findings",
        title: "Trust-policy findings",
        description: "What to act on, most severe first, each with the events it rests on.",
        columns: cols(...TRUST_FINDING_COLUMNS),
        htmlColumns: cols(...TRUST_FINDING_SUMMARY_COLUMNS, "explanation"),
        rows: trust.findings,
        sql,
        derivation,
      },
      {
        id: "trust-verdicts",
        title: "Role assumptions by verdict",
        description: "How many assumptions got each verdict of the trust check.",
        columns: cols("verdict", "calls"),
        rows: TRUST_VERDICTS.map((verdict) => ({ verdict, calls: trust.byVerdict[verdict] })),
        sql,
        derivation,
      },
      {
        id: "trust-graph",
        title: "Who assumed which role",
        description: "The edges of the chart above: one caller, one role, one STS call.",
        columns: cols(...ASSUMPTION_EDGE_COLUMNS),
        rows: trust.graph.edges,
        sql,
        derivation,
      },
      {
        id: "trust-chains",
        title: "Role chains",
        description:
          "Sessions of roles assuming other roles, linked by the access keys issued and used.",
        columns: cols(...ROLE_CHAIN_COLUMNS),
        htmlColumns: cols(...ROLE_CHAIN_SUMMARY_COLUMNS),
        rows: trust.chains,
        sql,
        derivation,
      },
      {
        id: "trust-unused-roles",
        title: "Roles not assumed in the range",
        description: "Roles of the IAM snapshots no successful assumption used.",
        columns: cols(...UNUSED_ROLE_COLUMNS),
        htmlColumns: cols(
          "role_arn",
          "service_linked",
          "unsuccessful_attempts",
          "last_attempt",
          "snapshot_last_used_at",
          "trusted",
          "broad_trust",
        ),
        rows: trust.unusedRoles,
        sql,
        derivation,
      },
      {
        id: "trust-assumptions",
        title: "Every role assumption, decided",
        description: "Earliest first, with the engine's explanation of its decision.",
        columns: cols(...TRUST_CHECK_COLUMNS),
        htmlColumns: cols(
          "event_time",
          "event_name",
          "verdict",
          "caller",
          "role_arn",
          "caller_relation",
          "outcome",
          "error_code",
          "explanation",
        ),
        rows: trust.rows,
        sql,
        derivation,
      },
    ],
    blocks: [],
  };
}
