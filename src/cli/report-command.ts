/**
 * `trailbook report`: the audit report of a case, written to a folder.
 */
import type { Command } from "commander";
import { ReportOutputError, writeReport, type WrittenReport } from "../report/write.js";
import { UsageError, type ExitStatus } from "./exit.js";
import { positiveInteger } from "./options.js";
import { asUsage, withCase } from "./query-output.js";
import {
  addRegionLockOptions,
  regionLockInputs,
  type RegionLockFlags,
} from "./region-lock-options.js";

export interface ReportCommandOptions extends RegionLockFlags {
  db: string;
  out: string;
  from?: string;
  to?: string;
  detectFrom?: string;
  baselineDays?: number;
  title?: string;
}

/** Reads the command's options into the library's, checking what can be checked before opening. */
function readOptions(opts: ReportCommandOptions) {
  return {
    ...(opts.from !== undefined ? { from: opts.from } : {}),
    ...(opts.to !== undefined ? { to: opts.to } : {}),
    ...regionLockInputs(opts),
    ...(opts.title ? { title: opts.title } : {}),
    baseline: {
      ...(opts.detectFrom !== undefined ? { detectFrom: opts.detectFrom } : {}),
      ...(opts.baselineDays !== undefined ? { baselineDays: opts.baselineDays } : {}),
    },
  };
}

/**
 * Writes the report; errors in the user's input become usage errors, a folder that cannot take
 * the report named by the option that gave it.
 */
export async function runReport(opts: ReportCommandOptions): Promise<WrittenReport> {
  const options = readOptions(opts);
  return asUsage(() =>
    withCase(opts.db, (c) =>
      writeReport(c, opts.out, options).catch((e: unknown) => {
        if (e instanceof ReportOutputError) throw new UsageError(`--out: ${e.message} [${e.code}]`);
        throw e;
      }),
    ),
  );
}

export function describeReport(written: WrittenReport): string {
  const csv = written.files.filter((f) => f.path.endsWith(".csv")).length;
  const png = written.files.filter((f) => f.path.endsWith(".png")).length;
  const lines = [
    `Report written to ${written.html}`,
    `  ${written.report.sections.length} sections, ${written.charts} charts (${png} PNG), ${written.tables} tables (${csv} CSV), manifest.json with SHA-256 of every file`,
  ];
  for (const w of written.warnings) lines.push(`  warning: ${w}`);
  return lines.join("\n") + "\n";
}

export function registerReport(program: Command, _status: ExitStatus): void {
  addRegionLockOptions(
    program
      .command("report")
      .description(
        "write the audit report of a case: one self-contained HTML file, PNG charts, CSV tables",
      )
      .requiredOption("--db <file>", "the case file")
      .requiredOption("--out <folder>", "the folder to write (new, empty, or a previous report)")
      .option("--from <time>", "start, inclusive (ISO 8601, UTC unless a zone is given)")
      .option("--to <time>", "end, exclusive"),
  )
    .option(
      "--detect-from <time>",
      "start of the baseline detection window (default: the last two days)",
    )
    .option(
      "--baseline-days <n>",
      "days of history before the detection window (default 21)",
      positiveInteger,
    )
    .option("--title <text>", "the report's title")
    .addHelpText(
      "after",
      `
The report covers the range asked: scope (accounts, time span, every evidence file with its
SHA-256, what was quarantined), STS calls by region, calls outside the allowed regions with
verdicts and the recommended controls (with --allowed-regions or --scp), role assumptions checked
against the trust policies of the IAM snapshots in the case (trailbook iam load), the baseline
findings, and who acted where. Every table shows the SQL that produced it and is written in full as CSV.

Example:
  $ trailbook report --db case.duckdb --out report/ --scp policies/region-lock-scp.json`,
    )
    .action(async (opts: ReportCommandOptions) => {
      const written = await runReport(opts);
      process.stdout.write(describeReport(written));
    });
}
