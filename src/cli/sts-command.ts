/**
 * `trailbook sts regions | outside | controls`: the STS-by-region investigation.
 */
import type { Command } from "commander";
import type { ColumnKinds } from "../query/columns.js";
import {
  checkFilterPattern,
  PATTERN_EVALUATIONS,
  stsControls,
  type FilterPatternCheck,
  type PatternEvaluation,
  type StsControls,
} from "../query/controls.js";
import { splitList } from "../query/filters.js";
import {
  OUTSIDE_COLUMNS,
  OUTSIDE_PRINCIPAL_COLUMNS,
  OUTSIDE_PRINCIPAL_TYPES,
  stsOutsideRegions,
} from "../query/sts-outside.js";
import { STS_GROUPINGS, stsByRegion, type StsGrouping } from "../query/sts-regions.js";
import { EXIT, UsageError, type ExitStatus } from "./exit.js";
import { terminalWidth, wrap } from "./format.js";
import { wholeNumber } from "./options.js";
import {
  addCommonOptions,
  asUsage,
  filtersOf,
  formatOf,
  withCase,
  writeOutput,
  type CommonOptions,
} from "./query-output.js";
import {
  addRegionLockOptions,
  regionLockInputs,
  type RegionLockFlags,
  type RegionLockInputs,
} from "./region-lock-options.js";

interface OutsideOptions extends CommonOptions, RegionLockFlags {
  byPrincipal?: boolean;
}

/** The region lock asked for: the allowed regions, the SCP, or both. */
function lockOf(opts: OutsideOptions): RegionLockInputs {
  if (!splitList(opts.allowedRegions) && !opts.scp) {
    throw new UsageError("give --allowed-regions or --scp (or both)");
  }
  return regionLockInputs(opts);
}

/** Column kinds of the one `sts controls` row. */
const CONTROLS_TYPES: ColumnKinds = {
  allowed_regions: "string[]",
  scp: "json",
  notes: "string[]",
  metric_filter_pattern: "string",
  cloudformation: "json",
  check: "string",
  filter_count: "integer",
  query_count: "integer",
  counts_equal: "boolean",
  event_ids: "string[]",
  event_ids_omitted: "integer",
  only_filter: "string[]",
  only_query: "string[]",
};

export function registerSts(program: Command, status: ExitStatus): void {
  const sts = program
    .command("sts")
    .description("AWS STS calls by region, outside allowed regions, and controls");

  addCommonOptions(
    sts
      .command("regions")
      .description(
        "STS calls by region and event name: logged region, serving region and endpoint type side by side",
      )
      .option(
        "--group-by <grouping>",
        `${STS_GROUPINGS.join(" | ")}: logged region, serving region, requested region, or all with the endpoint type`,
        "both",
      )
      .option("--event-id-limit <n>", "event ids listed per row", wholeNumber, 20),
  )
    .addHelpText(
      "after",
      `
Calls to the global endpoint (sts.amazonaws.com) are logged in us-east-1 wherever they were
served: the serving region and endpoint type columns show where they really went.

Examples:
  $ trailbook sts regions --db case.duckdb
  $ trailbook sts regions --db case.duckdb --group-by serving --from 2026-10-01 --format json`,
    )
    .action(async (opts: CommonOptions & { groupBy: string; eventIdLimit: number }) =>
      asUsage(async () => {
        const format = formatOf(opts);
        await withCase(opts.db, async (c) => {
          const result = await stsByRegion(c, {
            ...filtersOf(opts),
            groupBy: opts.groupBy as StsGrouping,
            eventIdLimit: opts.eventIdLimit,
          });
          await writeOutput(
            c,
            {
              columns: result.columns,
              rows: result.rows as unknown as Record<string, unknown>[],
              types: result.types,
              // Most telling first: a narrow terminal loses the last columns.
              tableColumns: [
                ...result.columns.filter((k) => k.endsWith("region") || k === "endpoint_type"),
                "event_name",
                "calls",
                "errors",
                "errors_by_code",
                "principals",
                "source_ips",
                "first_seen",
                "last_seen",
                "global_endpoint_calls",
                ...result.columns.filter((k) => k.endsWith("regions") || k === "endpoint_types"),
              ],
            },
            format,
            opts.out,
          );
        });
      }),
    );

  addCommonOptions(
    addRegionLockOptions(
      sts
        .command("outside")
        .description(
          "every STS call whose requested region is outside the allowed regions, with a verdict",
        ),
    ).option("--by-principal", "one row per principal: what they did outside"),
  )
    .addHelpText(
      "after",
      `
The requested region is the one aws:RequestedRegion sees: the endpoint's region, us-east-1 for
the global endpoint (sts.amazonaws.com) wherever it served the call.

Verdicts: succeeded-would-be-denied, denied-as-policy-would, failed-would-be-denied,
not-deniable (GetCallerIdentity, GetSessionToken), aws-service-not-governed,
federated-not-governed (AssumeRoleWithSAML/WebIdentity), account-not-governed (management
account, or an account outside the organization), undetermined (the key the log cannot tell is
named), allowed-by-policy.

Examples:
  $ trailbook sts outside --db case.duckdb --allowed-regions us-east-1,us-west-2
  $ trailbook sts outside --db case.duckdb --scp policies/region-lock-scp.json \
      --organization iam/organization.json --format json
  $ trailbook sts outside --db case.duckdb --allowed-regions us-east-1,us-west-2 --by-principal`,
    )
    .action(async (opts: OutsideOptions) =>
      asUsage(async () => {
        const format = formatOf(opts);
        const lock = lockOf(opts);
        await withCase(opts.db, async (c) => {
          const result = await stsOutsideRegions(c, { ...filtersOf(opts), ...lock });
          if (opts.byPrincipal) {
            await writeOutput(
              c,
              {
                columns: OUTSIDE_PRINCIPAL_COLUMNS,
                rows: result.principals as unknown as Record<string, unknown>[],
                types: OUTSIDE_PRINCIPAL_TYPES,
                tableColumns: ["actor", "calls", "succeeded", "failed", "verdicts", "source_ips"],
              },
              format,
              opts.out,
            );
          } else {
            await writeOutput(
              c,
              {
                columns: [...OUTSIDE_COLUMNS],
                rows: result.rows as unknown as Record<string, unknown>[],
                types: result.types,
                tableColumns: [
                  "event_time",
                  "event_name",
                  "verdict",
                  "actor",
                  "event_id",
                  "requested_region",
                  "error_code",
                  "undetermined_keys",
                ],
              },
              format,
              opts.out,
            );
          }
          const counts = Object.entries(result.byVerdict)
            .filter(([, n]) => n > 0)
            .map(([v, n]) => `${n} ${v}`);
          const notes = [
            `Allowed regions: ${result.allowedRegions.join(", ")}. ` +
              `Verdicts: ${counts.join(", ") || "none"}.`,
            ...result.assumptions.map((a) => `Note: ${a}`),
          ];
          // Beside a table the notes are part of what a person reads; beside data meant for a
          // program they go to stderr, so stdout stays one valid document.
          const toStdout = format === "table" && !opts.out;
          (toStdout ? process.stdout : process.stderr).write(
            notes.flatMap((n) => wrap(n, terminalWidth())).join("\n") + "\n",
          );
        });
      }),
    );

  addCommonOptions(
    sts
      .command("controls")
      .description(
        "the SCP and CloudWatch alarm to deploy, with the alarm checked against the case",
      )
      .requiredOption("--allowed-regions <regions>", "comma-separated, e.g. us-east-1,us-west-2")
      .option(
        "--check <how>",
        `how the filter pattern is evaluated against the case: ${PATTERN_EVALUATIONS.join(" | ")} ` +
          "(records: every original record, read back and tested; slower)",
        "sql",
      ),
  )
    .addHelpText(
      "after",
      `
Prints the region-lock SCP, the metric filter pattern and a CloudFormation template (metric
filter and alarm), then counts what the filter would have matched in the case against what
"sts outside" finds (AWS service principals left out, as the alarm leaves them out). The
filter side evaluates the pattern itself; the query side never reads it. Exit status 5 when the
counts differ.

Examples:
  $ trailbook sts controls --db case.duckdb --allowed-regions us-east-1,us-west-2
  $ trailbook sts controls --db case.duckdb --allowed-regions us-east-1,us-west-2 --check records --format json`,
    )
    .action(async (opts: OutsideOptions & { allowedRegions: string; check: string }) =>
      asUsage(async () => {
        const format = formatOf(opts);
        const allowedRegions = splitList(opts.allowedRegions) ?? [];
        const controls = stsControls(allowedRegions);
        await withCase(opts.db, async (c) => {
          const check = await checkFilterPattern(c, controls.metricFilterPattern, {
            ...filtersOf(opts),
            allowedRegions: controls.allowedRegions,
            evaluation: opts.check as PatternEvaluation,
          });
          if (!check.equal) status.code = EXIT.checkFailed;
          if (format === "table" && !opts.out) {
            process.stdout.write(describeControls(controls, check));
            return;
          }
          const row = {
            allowed_regions: controls.allowedRegions,
            scp: controls.scp,
            notes: controls.notes,
            metric_filter_pattern: controls.metricFilterPattern,
            cloudformation: controls.cloudFormation,
            check: check.evaluation,
            filter_count: check.filterCount,
            query_count: check.queryCount,
            counts_equal: check.equal,
            event_ids: check.eventIds,
            event_ids_omitted: check.eventIdsOmitted,
            only_filter: check.onlyFilter,
            only_query: check.onlyQuery,
          };
          await writeOutput(
            c,
            { columns: Object.keys(row), rows: [row], types: CONTROLS_TYPES },
            format,
            opts.out,
          );
        });
      }),
    );
}

/**
 * The controls as a document for a person: prose wrapped to the terminal, while the policy, the
 * pattern and the template are printed whole, to be copied as they are.
 */
function describeControls(controls: StsControls, check: FilterPatternCheck): string {
  const width = terminalWidth();
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  const prose = (text: string, indent = "") =>
    wrap(text, width - indent.length).map((l, i) => (i === 0 ? l : indent + l));
  const how =
    check.evaluation === "sql"
      ? "SQL translated from the pattern"
      : `testing ${check.recordsTested} original records`;
  return [
    ...prose(`# Service control policy (allowed regions: ${controls.allowedRegions.join(", ")})`),
    json(controls.scp),
    "",
    "Notes:",
    ...controls.notes.flatMap((n) => prose(`- ${n}`, "  ")),
    "",
    "# CloudWatch Logs metric filter pattern",
    controls.metricFilterPattern,
    "",
    ...prose("# CloudFormation (AWS::Logs::MetricFilter + AWS::CloudWatch::Alarm)"),
    json(controls.cloudFormation),
    "",
    "# Checked against the case file",
    ...prose(
      `The filter (evaluated by ${how}) would have matched ${check.filterCount} events; the ` +
        `outside-regions query finds ${check.queryCount} (AWS service principals left out): ` +
        (check.equal ? "they agree." : "THEY DIFFER."),
    ),
    ...(check.eventIds.length
      ? prose(
          `Events: ${check.eventIds.join(", ")}` +
            (check.eventIdsOmitted ? ` and ${check.eventIdsOmitted} more` : ""),
        )
      : []),
    ...(check.onlyFilter.length ? prose(`Only the filter: ${check.onlyFilter.join(", ")}`) : []),
    ...(check.onlyQuery.length ? prose(`Only the query: ${check.onlyQuery.join(", ")}`) : []),
    "",
  ].join("\n");
}
