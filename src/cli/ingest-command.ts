import type { Command } from "commander";
import { ingest, type IngestProgress, type IngestSummary } from "../store/ingest.js";
import { EXIT, type ExitStatus } from "./exit.js";
import { positiveInteger } from "./options.js";

export function registerIngest(program: Command, status: ExitStatus): void {
  program
    .command("ingest")
    .description(
      "load CloudTrail evidence (folders, files, zip and tar.gz bundles) into a case file",
    )
    .argument("<paths...>", "files and folders to load, read recursively")
    .requiredOption("--db <file>", "the case file (created if missing)")
    .option("--json", "print the summary as JSON")
    .option("--workers <n>", "reader threads (default: cores)", positiveInteger)
    .option("--threads <n>", "DuckDB threads (default: cores)", positiveInteger)
    .addHelpText(
      "after",
      `
Exit status: 0 all loaded or skipped by kind, 3 some files quarantined, 2 usage error,
4 case file unusable (e.g. open in another process), 1 other failure.

Example:
  $ trailbook ingest ./evidence/ --db case.duckdb`,
    )
    .action(
      async (
        paths: string[],
        opts: { db: string; json?: boolean; workers?: number; threads?: number },
      ) => {
        const progress = process.stderr.isTTY && !opts.json ? new ProgressLine() : null;
        const summary = await ingest({
          inputs: paths,
          db: opts.db,
          ...(opts.workers ? { workers: opts.workers } : {}),
          ...(opts.threads ? { threads: opts.threads } : {}),
          ...(progress ? { onProgress: (p: IngestProgress) => progress.update(p) } : {}),
        });
        progress?.done();
        process.stdout.write(
          opts.json ? JSON.stringify(summary, null, 2) + "\n" : describeSummary(summary),
        );
        status.code = summary.files.byStatus.quarantined > 0 ? EXIT.quarantined : EXIT.ok;
      },
    );
}

class ProgressLine {
  update(p: IngestProgress): void {
    const mb = (p.bytes / 1e6).toFixed(1);
    const rate = p.elapsedSeconds > 0 ? Math.round(p.events / p.elapsedSeconds) : 0;
    process.stderr.write(
      `\r\x1b[K${p.files.toLocaleString()} files, ${mb} MB, ${p.events.toLocaleString()} events (${rate.toLocaleString()}/s)`,
    );
  }
  done(): void {
    process.stderr.write("\r\x1b[K");
  }
}

export function describeSummary(s: IngestSummary): string {
  const lines: string[] = [];
  const f = s.files;
  lines.push(
    `Loaded into ${s.db} in ${s.elapsedSeconds.toFixed(1)} s (run ${s.runId}).`,
    `Files: ${f.recorded} recorded: ${f.byStatus.loaded} loaded, ${f.byStatus.skipped} skipped, ${f.byStatus.quarantined} quarantined` +
      (f.alreadyInCase > 0 ? `; ${f.alreadyInCase} already in the case` : ""),
  );
  const kinds = Object.entries(f.byKind).sort(([a], [b]) => a.localeCompare(b));
  for (const [kind, byStatus] of kinds) {
    const parts = Object.entries(byStatus).map(([st, n]) => `${n} ${st}`);
    lines.push(`  ${kind.padEnd(32)} ${parts.join(", ")}`);
  }
  const r = s.records;
  lines.push(
    `Events: ${r.loaded.toLocaleString()} loaded, ${r.duplicates.toLocaleString()} duplicates of events already loaded` +
      `; ${r.insights} Insight events; ${r.setAside} records set aside (not CloudTrail events); ${s.digests} digest files.`,
  );
  if (s.quarantined.length > 0) {
    lines.push(`Quarantined (${s.quarantined.length}):`);
    for (const q of s.quarantined) {
      lines.push(`  ${q.path}${q.member ? `!/${q.member}` : ""}: ${q.code}: ${q.reason}`);
    }
  }
  if (!s.checks.eventsAddUp || !s.checks.recordsAddUp) lines.push("WARNING: counts do not add up.");
  return lines.join("\n") + "\n";
}
