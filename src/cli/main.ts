/**
 * The trailbook command line. It owns stdout, stderr and the exit status; everything it runs is
 * library code that returns data.
 */
import { Command, CommanderError } from "commander";
import { CaseFileError } from "../store/database.js";
import { EvidencePathError } from "../archive/discover.js";
import { registerIngest } from "./ingest-command.js";
import { registerSql } from "./sql-command.js";
import { registerSample } from "./sample-command.js";
import { registerSts } from "./sts-command.js";
import { registerTimeline } from "./timeline-command.js";
import { registerBaseline } from "./baseline-command.js";
import { registerIam } from "./iam-command.js";
import { registerTrust } from "./trust-command.js";
import { registerReport } from "./report-command.js";
import { TOOL_VERSION } from "../store/version.js";
import { EXIT, UsageError } from "./exit.js";

export async function main(argv: string[]): Promise<number> {
  const program = new Command("trailbook")
    .description("Offline forensics for exported AWS CloudTrail archives, on DuckDB case files")
    .version(TOOL_VERSION)
    .exitOverride()
    .showHelpAfterError();
  const status = { code: EXIT.ok };
  registerIngest(program, status);
  registerSql(program, status);
  registerSample(program, status);
  registerSts(program, status);
  registerTimeline(program, status);
  registerBaseline(program, status);
  registerIam(program, status);
  registerTrust(program, status);
  registerReport(program, status);
  try {
    await program.parseAsync(argv);
    return status.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError || e instanceof EvidencePathError) {
      process.stderr.write(`trailbook: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof CaseFileError) {
      process.stderr.write(`trailbook: ${e.message} (${e.code})\n`);
      return EXIT.caseFile;
    }
    process.stderr.write(`trailbook: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failure;
  }
}
