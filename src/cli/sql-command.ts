import type { Command } from "commander";
import { CaseDatabase } from "../store/database.js";
import type { ExitStatus } from "./exit.js";
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from "./format.js";
import { UsageError } from "./exit.js";

export function registerSql(program: Command, _status: ExitStatus): void {
  program
    .command("sql")
    .description("run read-only SQL against a case file")
    .argument("<query>", "the SQL to run")
    .requiredOption("--db <file>", "the case file")
    .option("--format <format>", `output format: ${OUTPUT_FORMATS.join(", ")}`, "table")
    .addHelpText(
      "after",
      `
The case file is opened read-only and sandboxed: no other file can be read or written.

Example:
  $ trailbook sql "SELECT event_name, count(*) FROM events GROUP BY ALL ORDER BY 2 DESC" --db case.duckdb`,
    )
    .action(async (query: string, opts: { db: string; format: string }) => {
      if (!(OUTPUT_FORMATS as readonly string[]).includes(opts.format)) {
        throw new UsageError(
          `unknown --format ${JSON.stringify(opts.format)}; use one of ${OUTPUT_FORMATS.join(", ")}`,
        );
      }
      const db = await CaseDatabase.open(opts.db, { readOnly: true, sandbox: true });
      try {
        const reader = await db.connection.runAndReadAll(query).catch((e: Error) => {
          throw new UsageError(describeQueryError(e));
        });
        const columns = reader.columnNames();
        const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
        process.stdout.write(formatRows(columns, rows, opts.format as OutputFormat));
      } finally {
        db.close();
      }
    });
}

// What the sandbox refuses shows as DuckDB's permission and locked-configuration errors: say why
// in the product's words, without a stack trace.
const SANDBOX_REFUSAL =
  /Permission Error|disabled by configuration|configuration has been locked|read-only mode|read_only/i;

export function describeQueryError(error: Error): string {
  const first = error.message.split("\n")[0]!.trim();
  if (SANDBOX_REFUSAL.test(error.message)) {
    return (
      `query refused: ${first}\n` +
      "trailbook sql runs read-only and sandboxed: it reads the case file's tables and nothing " +
      "else (no other files, ATTACH, COPY ... TO, extension installs or setting changes)."
    );
  }
  return `query failed: ${first}`;
}
