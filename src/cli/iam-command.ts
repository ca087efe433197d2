/**
 * `trailbook iam load`: IAM snapshots into a case file.
 */
import type { Command } from "commander";
import { loadIamSnapshots, type IamLoadSummary } from "../iam/load.js";
import { EXIT, type ExitStatus } from "./exit.js";
import { asUsage, withCase } from "./query-output.js";

export function registerIam(program: Command, status: ExitStatus): void {
  const iam = program.command("iam").description("IAM snapshots in the case file");
  iam
    .command("load")
    .description(
      "store IAM snapshots: get-account-authorization-details, get-role and list-roles outputs, " +
        "and the organization (describe-organization, list-accounts)",
    )
    .argument("<files...>", "the export files (JSON)")
    .requiredOption("--db <file>", "the case file (created if missing)")
    .option("--allow-partial", "accept a page of a paginated listing (IsTruncated), marked partial")
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      `
All files are checked before anything is stored, and stored in one transaction: a bad file
stores nothing, and the error names the file and the field. A file already in the case (same
SHA-256) is not stored again.

Exit status: 0 stored (or nothing new), 2 a file cannot be loaded or a usage error,
4 case file unusable (e.g. open in another process), 1 other failure.

Example:
  $ trailbook iam load iam/*-authorization-details.json iam/organization.json --db case.duckdb`,
    )
    .action(
      async (files: string[], opts: { db: string; allowPartial?: boolean; json?: boolean }) => {
        const summary = await asUsage(() =>
          withCase(
            opts.db,
            (c) => loadIamSnapshots(c, files, { allowPartial: opts.allowPartial === true }),
            { writable: true, create: true },
          ),
        );
        process.stdout.write(
          opts.json ? JSON.stringify(summary, null, 2) + "\n" : describeIamLoad(summary),
        );
        status.code = EXIT.ok;
      },
    );
}

export function describeIamLoad(s: IamLoadSummary): string {
  const lines = [
    s.loaded > 0
      ? `Stored ${s.loaded} IAM snapshot${s.loaded === 1 ? "" : "s"} in ${s.db} (load ${s.loadId}): ` +
        `${s.roles} roles, ${s.users} users, ${s.groups} groups, ${s.policies} managed policies, ` +
        `${s.orgAccounts} organization accounts.`
      : `Nothing new for ${s.db}.`,
  ];
  for (const f of s.files) {
    const what =
      f.status === "already-loaded"
        ? `already in the case (from ${f.firstLoadedFrom})`
        : `${f.kind}${f.partial ? " (partial page)" : ""}, accounts ${f.accounts.join(", ") || "-"}: ` +
          `${f.roles} roles; documents ${f.documents.json} JSON, ${f.documents.urlEncoded} URL-encoded`;
    lines.push(`  ${f.path}: ${what}`);
    for (const w of f.warnings) lines.push(`    warning ${w.code} at ${w.field}: ${w.message}`);
  }
  return lines.join("\n") + "\n";
}
