/**
 * `trailbook sts regions | outside | controls`: the STS-by-region investigation.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { openCase, type Case } from "../query/case.js";
import { checkFilterPattern, stsControls } from "../query/controls.js";
import { splitList } from "../query/filters.js";
import { OUTSIDE_COLUMNS, stsOutsideRegions } from "../query/sts-outside.js";
import { STS_GROUPINGS, stsByRegion, type StsGrouping } from "../query/sts-regions.js";
import type { ExitStatus } from "./exit.js";
import { UsageError } from "./exit.js";
import {
  addCommonOptions,
  asUsage,
  filtersOf,
  formatOf,
  writeOutput,
  type CommonOptions,
} from "./query-output.js";

async function withCase<T>(path: string, run: (c: Case) => Promise<T>): Promise<T> {
  const c = await openCase(path);
  try {
    return await run(c);
  } finally {
    c.close();
  }
}

interface OutsideOptions extends CommonOptions {
  allowedRegions?: string;
  scp?: string;
  byPrincipal?: boolean;
}

function policyOf(opts: OutsideOptions): { policy?: unknown; policyFile?: string } {
  if (!opts.scp) return {};
  let text: string;
  try {
    text = readFileSync(opts.scp, "utf8");
  } catch (e) {
    throw new UsageError(`--scp ${opts.scp}: ${(e as Error).message}`);
  }
  return { policy: text, policyFile: opts.scp };
}

function allowedOf(opts: OutsideOptions): string[] | undefined {
  const regions = splitList(opts.allowedRegions);
  if (!regions && !opts.scp) throw new UsageError("give --allowed-regions or --scp (or both)");
  return regions;
}

export function registerSts(program: Command, _status: ExitStatus): void {
  const sts = program
    .command("sts")
    .description("AWS STS calls by region, outside allowed regions, and controls");

  addCommonOptions(
    sts
      .command("regions")
      .description(
        "STS calls by region and event name: logged region, serving region and endpoint type side by side",
      )
      .option("--group-by <grouping>", `${STS_GROUPINGS.join(" | ")}`, "both")
      .option("--event-id-limit <n>", "event ids listed per row", "20"),
  )
    .addHelpText(
      "after",
      `
Calls to the global endpoint (sts.amazonaws.com) are logged in us-east-1 wherever they were
served: the serving region and endpoint type columns show where they really went.

Example:
  $ trailbook sts regions --db case.duckdb --group-by serving --from 2026-10-01`,
    )
    .action(async (opts: CommonOptions & { groupBy: string; eventIdLimit: string }) =>
      asUsage(async () => {
        const format = formatOf(opts);
        await withCase(opts.db, async (c) => {
          const result = await stsByRegion(c, {
            ...filtersOf(opts),
            groupBy: opts.groupBy as StsGrouping,
            eventIdLimit: Number(opts.eventIdLimit),
          });
          await writeOutput(
            c,
            {
              columns: result.columns,
              rows: result.rows as unknown as Record<string, unknown>[],
              tableColumns: result.columns.filter((k) => !k.startsWith("event_ids")),
            },
            format,
            opts.out,
          );
        });
      }),
    );

  addCommonOptions(
    sts
      .command("outside")
      .description(
        "every STS call whose requested region is outside the allowed regions, with a verdict",
      )
      .option("--allowed-regions <regions>", "comma-separated, e.g. us-east-1,us-west-2")
      .option("--scp <file>", "a region-lock policy: a full SCP or a bare statement")
      .option("--by-principal", "one row per principal: what they did outside"),
  )
    .addHelpText(
      "after",
      `
Verdicts: succeeded-would-be-denied, denied-as-policy-would, failed-would-be-denied,
not-deniable (GetCallerIdentity, GetSessionToken), aws-service-not-governed, undetermined
(the condition key the log cannot tell is named), allowed-by-policy.

Examples:
  $ trailbook sts outside --db case.duckdb --allowed-regions us-east-1,us-west-2
  $ trailbook sts outside --db case.duckdb --scp policies/region-lock-scp.json --format json`,
    )
    .action(async (opts: OutsideOptions) =>
      asUsage(async () => {
        const format = formatOf(opts);
        const allowedRegions = allowedOf(opts);
        const policy = policyOf(opts);
        await withCase(opts.db, async (c) => {
          const result = await stsOutsideRegions(c, {
            ...filtersOf(opts),
            ...(allowedRegions ? { allowedRegions } : {}),
            ...policy,
          });
          if (opts.byPrincipal) {
            const rows = result.principals as unknown as Record<string, unknown>[];
            const columns = Object.keys(result.principals[0] ?? { actor: null });
            await writeOutput(
              c,
              { columns, rows, tableColumns: columns.filter((k) => !k.startsWith("event_ids")) },
              format,
              opts.out,
            );
            return;
          }
          const tableColumns = [
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
          ];
          await writeOutput(
            c,
            {
              columns: [...OUTSIDE_COLUMNS],
              rows: result.rows as unknown as Record<string, unknown>[],
              tableColumns,
            },
            format,
            opts.out,
          );
          if (format === "table" && !opts.out) {
            const counts = Object.entries(result.byVerdict)
              .filter(([, n]) => n > 0)
              .map(([v, n]) => `${n} ${v}`);
            process.stdout.write(
              `Allowed regions: ${result.allowedRegions.join(", ")}. ` +
                `Verdicts: ${counts.join(", ") || "none"}.\n`,
            );
          }
        });
      }),
    );

  addCommonOptions(
    sts
      .command("controls")
      .description(
        "the SCP and CloudWatch alarm to deploy, with the alarm checked against the case",
      )
      .requiredOption("--allowed-regions <regions>", "comma-separated, e.g. us-east-1,us-west-2"),
  )
    .addHelpText(
      "after",
      `
Prints the region-lock SCP, the metric filter pattern and a CloudFormation template (metric
filter and alarm), then counts what the filter would have matched in the case against what
"sts outside" finds (AWS service principals left out, as the alarm leaves them out).

Example:
  $ trailbook sts controls --db case.duckdb --allowed-regions us-east-1,us-west-2 --format json`,
    )
    .action(async (opts: OutsideOptions & { allowedRegions: string }) =>
      asUsage(async () => {
        const format = formatOf(opts);
        const allowedRegions = splitList(opts.allowedRegions) ?? [];
        const controls = stsControls(allowedRegions);
        await withCase(opts.db, async (c) => {
          const check = await checkFilterPattern(c, controls.metricFilterPattern, {
            ...filtersOf(opts),
            allowedRegions: controls.allowedRegions,
          });
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
            filter_count: check.filterCount,
            query_count: check.queryCount,
            counts_equal: check.equal,
            event_ids: check.eventIds,
            event_ids_omitted: check.eventIdsOmitted,
            only_filter: check.onlyFilter,
            only_query: check.onlyQuery,
          };
          await writeOutput(c, { columns: Object.keys(row), rows: [row] }, format, opts.out);
        });
      }),
    );
}

function describeControls(
  controls: ReturnType<typeof stsControls>,
  check: Awaited<ReturnType<typeof checkFilterPattern>>,
): string {
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  return [
    `# Service control policy (allowed regions: ${controls.allowedRegions.join(", ")})`,
    json(controls.scp),
    "",
    "Notes:",
    ...controls.notes.map((n) => `- ${n}`),
    "",
    "# CloudWatch Logs metric filter pattern",
    controls.metricFilterPattern,
    "",
    "# CloudFormation (AWS::Logs::MetricFilter + AWS::CloudWatch::Alarm)",
    json(controls.cloudFormation),
    "",
    "# Checked against the case file",
    `The filter would have matched ${check.filterCount} events; the outside-regions query finds ` +
      `${check.queryCount} (AWS service principals left out): ` +
      (check.equal ? "they agree." : "THEY DIFFER."),
    ...(check.onlyFilter.length ? [`Only the filter: ${check.onlyFilter.join(", ")}`] : []),
    ...(check.onlyQuery.length ? [`Only the query: ${check.onlyQuery.join(", ")}`] : []),
    "",
  ].join("\n");
}
