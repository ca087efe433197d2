#!/usr/bin/env node
// The README's main command (npm run demo): loads the bundled sample evidence and the IAM
// exports into sample-data/case.duckdb, writes the audit report for it to sample-data/report/,
// and prints a short summary. The sample holds four files broken on purpose; they are quarantined as
// intended, and the demo exits 0 when exactly those are. Any other quarantined file, or a
// missing one, is a real problem: exit 1.
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { describeSummary } from "../dist/cli/ingest-command.js";
import { describeIamLoad } from "../dist/cli/iam-command.js";
import { caseScope, ingest, loadIamSnapshots, openCase, writeReport } from "../dist/index.js";

const root = resolve(import.meta.dirname, "..");
const sample = join(root, "sample-data");
// --db and --out put the case and the report elsewhere (the test of this script uses them).
const { values: args } = parseArgs({
  options: { db: { type: "string" }, out: { type: "string" } },
});
const db = resolve(args.db ?? join(sample, "case.duckdb"));
const out = resolve(args.out ?? join(sample, "report"));
const scp = join(sample, "policies", "region-lock-scp.json");
const organization = join(sample, "iam", "organization.json");
// The IAM exports a responder asks for: every account's authorization details, a single role
// fetched on its own, and the organization's account list.
const iam = [
  ...["111122223333", "444455556666", "777788889999"].map((a) =>
    join(sample, "iam", `${a}-authorization-details.json`),
  ),
  join(sample, "iam", "get-role-VendorMonitoring.json"),
  organization,
];

if (!existsSync(join(root, "dist", "index.js"))) {
  process.stderr.write("demo: dist/ is not built; run npm ci (or npm run build) first\n");
  process.exit(1);
}

const summary = await ingest({ inputs: [join(sample, "evidence")], db });
process.stdout.write(describeSummary(summary));

// IAM snapshots, for the trust check; a file already in the case is not stored again.
const writable = await openCase(db, { writable: true });
try {
  process.stdout.write(describeIamLoad(await loadIamSnapshots(writable, iam)));
} finally {
  writable.close();
}

const expected = JSON.parse(readFileSync(join(sample, "expected.json"), "utf8"));
const meant = expected.files
  .filter((f) => f.status === "quarantined")
  .map((f) => f.path)
  .sort();

const c = await openCase(db);
let quarantined;
let written;
try {
  // The whole case, not this run alone: a second demo run loads nothing new.
  const scope = await caseScope(c);
  quarantined = scope.quarantined.rows.map((r) => relative(sample, r.path)).sort();
  written = await writeReport(c, out, {
    policy: readFileSync(scp, "utf8"),
    policyFile: relative(root, scp),
    organization: readFileSync(organization, "utf8"),
    organizationFile: relative(root, organization),
    title: "trailbook audit report: sample evidence",
  });
} finally {
  c.close();
}

const tables = new Map(written.report.sections.flatMap((s) => s.tables).map((t) => [t.id, t]));
const verdicts = tables
  .get("sts-outside-verdicts")
  .rows.filter((r) => r.calls > 0)
  .map((r) => `${r.calls} ${r.verdict}`);
const stories = tables.get("baseline-stories").rows;
const trust = tables.get("trust-findings").rows.filter((f) => f.severity === "high");
process.stdout.write(
  [
    "",
    `Quarantined: ${quarantined.length} files` +
      (JSON.stringify(quarantined) === JSON.stringify(meant)
        ? " - the ones the sample breaks on purpose."
        : ` - the sample means ${meant.length}: ${meant.join(", ")}`),
    `STS calls outside ${written.report.regionLock.allowedRegions.join(", ")}: ${verdicts.join(", ")}.`,
    `Trust policies: ${trust.length} high-severity findings${trust.length ? ":" : "."}`,
    ...trust.map((f) => `  - ${f.title}`),
    `Baseline: ${stories.length} stories` +
      (stories[0] ? `; strongest: ${stories[0].title} (score ${stories[0].score}).` : "."),
    "",
    `Report: ${relative(process.cwd(), written.html) || written.html}`,
    `  with ${written.charts} PNG charts in ${relative(process.cwd(), join(out, "charts"))}/ and ` +
      `${written.tables} CSV tables in ${relative(process.cwd(), join(out, "tables"))}/.`,
    "",
  ].join("\n"),
);
process.exit(JSON.stringify(quarantined) === JSON.stringify(meant) ? 0 : 1);
