/**
 * `trailbook trust check | chains`: role assumptions cross-referenced with the IAM snapshots'
 * trust policies.
 */
import type { Command } from "commander";
import { splitList } from "../query/filters.js";
import { ROLE_CHAIN_COLUMNS, ROLE_CHAIN_SUMMARY_COLUMNS } from "../iam/chains.js";
import { trustChains, trustCheck, type TrustCheckOptions } from "../iam/check.js";
import { TRUST_FINDING_COLUMNS, TRUST_FINDING_SUMMARY_COLUMNS } from "../iam/findings.js";
import { ASSUMPTION_EDGE_COLUMNS } from "../iam/graph.js";
import { TRUST_CHECK_COLUMNS } from "../iam/trust.js";
import { UNUSED_ROLE_COLUMNS } from "../iam/unused.js";
import type { ExitStatus } from "./exit.js";
import { choice, positiveInteger } from "./options.js";
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

const VIEWS = ["findings", "calls", "edges", "unused"] as const;
type View = (typeof VIEWS)[number];

interface TrustOptions extends CommonOptions {
  roles?: string;
  view?: string;
  probingMinRoles?: number;
}

function optionsOf(opts: TrustOptions): TrustCheckOptions {
  const o: TrustCheckOptions = filtersOf(opts);
  const roles = splitList(opts.roles);
  if (roles) o.roles = roles;
  if (opts.probingMinRoles !== undefined) o.probingMinRoles = opts.probingMinRoles;
  return o;
}

const TABLE_COLUMNS: Record<View, string[]> = {
  findings: TRUST_FINDING_SUMMARY_COLUMNS,
  calls: [
    "event_time",
    "event_name",
    "verdict",
    "decision",
    "caller",
    "role_arn",
    "deciding_statements",
    "unknown_keys",
  ],
  edges: [
    "source",
    "target",
    "calls",
    "succeeded",
    "denied",
    "trust_allowed",
    "trust_not_allowed",
    "undetermined",
    "not_in_snapshot",
  ],
  unused: [
    "role_arn",
    "account_events",
    "unsuccessful_attempts",
    "snapshot_last_used_at",
    "trusted",
    "broad_trust",
  ],
};

export function registerTrust(program: Command, _status: ExitStatus): void {
  const trust = program
    .command("trust")
    .description("role assumptions checked against the IAM snapshots' trust policies");

  addCommonOptions(
    trust
      .command("check")
      .description(
        "decide every AssumeRole, AssumeRoleWithSAML and AssumeRoleWithWebIdentity against " +
          "the role's trust policy; show the findings, the calls, the graph or the unused roles",
      )
      .option("--roles <roles>", "comma-separated target roles (ARNs or names)")
      .option("--view <view>", `what to show: ${VIEWS.join(", ")}`, "findings")
      .option(
        "--probing-min-roles <n>",
        "refusals on this many roles make a caller's attempts probing",
        positiveInteger,
      ),
  )
    .addHelpText(
      "after",
      `
Views: findings (what to act on, each with its event ids), calls (every assumption with its
verdict and the policy engine's explanation), edges (caller -> role counts, for a chart),
unused (roles of the snapshots no successful assumption used in the range).
Load the trust policies first with trailbook iam load.

Examples:
  $ trailbook trust check --db case.duckdb
  $ trailbook trust check --db case.duckdb --view calls --format csv --out calls.csv
  $ trailbook trust check --db case.duckdb --from 2026-10-26 --roles OrgReadOnly --view calls`,
    )
    .action(async (opts: TrustOptions) =>
      asUsage(async () => {
        const format = formatOf(opts);
        const view = choice("--view", opts.view ?? "findings", VIEWS);
        await withCase(opts.db, async (c) => {
          const r = await trustCheck(c, optionsOf(opts));
          const outputs: Record<View, Output> = {
            findings: { columns: [...TRUST_FINDING_COLUMNS], rows: r.findings as never },
            calls: { columns: [...TRUST_CHECK_COLUMNS], rows: r.rows as never },
            edges: { columns: [...ASSUMPTION_EDGE_COLUMNS], rows: r.graph.edges as never },
            unused: { columns: [...UNUSED_ROLE_COLUMNS], rows: r.unusedRoles as never },
          };
          const out = { ...outputs[view], tableColumns: TABLE_COLUMNS[view] };
          await writeOutput(c, out, format, opts.out);
          if (format === "table") {
            const v = Object.entries(r.byVerdict)
              .filter(([, n]) => n > 0)
              .map(([k, n]) => `${n} ${k}`)
              .join(", ");
            process.stderr.write(
              `${r.rows.length} role assumptions: ${v || "none"}; ${r.findings.length} findings; ` +
                `${r.snapshot.roles} roles in the IAM snapshots` +
                (r.snapshot.organizationLoaded ? "" : " (no organization loaded)") +
                "\n",
            );
          }
        });
      }),
    );

  addCommonOptions(
    trust
      .command("chains")
      .description("role chains: sessions of roles assuming other roles, grouped by shape")
      .option("--roles <roles>", "comma-separated target roles (ARNs or names)"),
  )
    .addHelpText(
      "after",
      `
Hops are linked by the access key each assumption issued and the next call used.

Example:
  $ trailbook trust chains --db case.duckdb --format json`,
    )
    .action(async (opts: TrustOptions) =>
      asUsage(async () => {
        const format = formatOf(opts);
        await withCase(opts.db, async (c) => {
          const r = await trustChains(c, optionsOf(opts));
          await writeOutput(
            c,
            {
              columns: [...ROLE_CHAIN_COLUMNS],
              rows: r.rows as never,
              tableColumns: ROLE_CHAIN_SUMMARY_COLUMNS,
            },
            format,
            opts.out,
          );
        });
      }),
    );
}
