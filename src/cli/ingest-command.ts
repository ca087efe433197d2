import { Option, type Command } from "commander";
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
    .option(
      "--workers <n>",
      "reader threads (default: cores - 1, at most 2; DuckDB takes the last core)",
      positiveInteger,
    )
    .option(
      "--loaders <n>",
      "batches read into the case at once, each on its own connection (default: 1)",
      positiveInteger,
    )
    .option("--threads <n>", "DuckDB threads for each statement (default: 1)", positiveInteger)
    .option(
      "--scratch <dir>",
      "where the loader makes its scratch folder for record chunks, a few hundred MB (default: /dev/shm if present, else beside the case file)",
    )
    // Tuning knobs for tests and experiments, kept out of the help: smaller batches and
    // transactions make a load commit often (the kill-and-resume test relies on it).
    .addOption(
      new Option("--batch-mb <n>", "MiB of records per batch")
        .argParser(positiveInteger)
        .hideHelp(),
    )
    .addOption(
      new Option("--commit-rows <n>", "records per transaction")
        .argParser(positiveInteger)
        .hideHelp(),
    )
    // Progress as JSON lines on stderr, for programs (and tests) that watch a load from outside.
    .addOption(new Option("--progress-json", "progress as JSON lines on stderr").hideHelp())
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
        opts: {
          db: string;
          json?: boolean;
          workers?: number;
          loaders?: number;
          threads?: number;
          scratch?: string;
          batchMb?: number;
          commitRows?: number;
          progressJson?: boolean;
        },
      ) => {
        const progress = opts.progressJson
          ? new ProgressJson(process.stderr)
          : process.stderr.isTTY && !opts.json
            ? new ProgressLine(process.stderr)
            : null;
        let summary: IngestSummary;
        try {
          summary = await ingest({
            inputs: paths,
            db: opts.db,
            ...(opts.workers ? { workers: opts.workers } : {}),
            ...(opts.loaders ? { loaders: opts.loaders } : {}),
            ...(opts.threads ? { threads: opts.threads } : {}),
            ...(opts.scratch ? { scratchDir: opts.scratch } : {}),
            ...(opts.batchMb ? { chunkBytes: opts.batchMb << 20 } : {}),
            ...(opts.commitRows ? { commitRows: opts.commitRows } : {}),
            ...(progress ? { onProgress: (p: IngestProgress) => progress.update(p) } : {}),
          });
        } finally {
          // Cleared on failure too, so an error message starts on a clean line.
          progress?.done();
        }
        process.stdout.write(
          opts.json ? JSON.stringify(summary, null, 2) + "\n" : describeSummary(summary),
        );
        status.code = summary.files.byStatus.quarantined > 0 ? EXIT.quarantined : EXIT.ok;
      },
    );
}

/** Progress for a program watching the load: one JSON object a line. */
class ProgressJson {
  constructor(private readonly out: { write(text: string): unknown }) {}

  update(p: IngestProgress): void {
    this.out.write(JSON.stringify(p) + "\n");
  }

  done(): void {}
}

/** One self-overwriting status line on a terminal's stderr; cleared before the summary. */
export class ProgressLine {
  constructor(private readonly out: { write(text: string): unknown }) {}

  update(p: IngestProgress): void {
    const mb = (p.bytes / 1e6).toFixed(1);
    const rate = p.elapsedSeconds > 0 ? Math.round(p.records / p.elapsedSeconds) : 0;
    this.out.write(
      `\r\x1b[K${p.files.toLocaleString("en-US")} files, ${mb} MB, ` +
        `${p.records.toLocaleString("en-US")} records (${rate.toLocaleString("en-US")}/s), ` +
        `${p.elapsedSeconds.toFixed(0)} s`,
    );
  }

  done(): void {
    this.out.write("\r\x1b[K");
  }
}

/** Counts with thousands separators, the same whatever the machine's locale. */
const n = (value: number) => value.toLocaleString("en-US");

/** Quarantined files listed by name in the human summary; --json lists every one. */
const MAX_LISTED = 20;

export function describeSummary(s: IngestSummary): string {
  const lines: string[] = [];
  const f = s.files;
  lines.push(
    `Loaded into ${s.db} in ${s.elapsedSeconds.toFixed(1)} s (run ${s.runId}).`,
    `Files: ${n(f.recorded)} recorded: ${n(f.byStatus.loaded)} loaded, ${n(f.byStatus.skipped)} skipped, ${n(f.byStatus.quarantined)} quarantined` +
      (f.alreadyInCase > 0 ? `; ${n(f.alreadyInCase)} already in the case` : ""),
  );
  const kinds = Object.entries(f.byKind).sort(([a], [b]) => a.localeCompare(b));
  for (const [kind, byStatus] of kinds) {
    const parts = Object.entries(byStatus).map(([status, count]) => `${n(count)} ${status}`);
    lines.push(`  ${kind.padEnd(32)} ${parts.join(", ")}`);
  }
  const r = s.records;
  lines.push(
    `Events: ${n(r.loaded)} loaded, ${n(r.duplicates)} duplicates of events already loaded` +
      `; ${n(r.insights)} Insight events; ${n(r.setAside)} records set aside (not CloudTrail events); ` +
      `${n(s.digests)} digest files.`,
  );
  if (s.quarantined.length > 0) {
    lines.push(`Quarantined (${s.quarantined.length}):`);
    for (const q of s.quarantined.slice(0, MAX_LISTED)) {
      lines.push(`  ${q.path}${q.member ? `!/${q.member}` : ""}: ${q.code}: ${q.reason}`);
    }
    const more = s.quarantined.length - MAX_LISTED;
    if (more > 0) {
      lines.push(`  ... and ${more} more: --json lists them all, as does the source_files table`);
    }
  }
  if (!s.checks.eventsAddUp || !s.checks.recordsAddUp) lines.push("WARNING: counts do not add up.");
  return lines.join("\n") + "\n";
}
