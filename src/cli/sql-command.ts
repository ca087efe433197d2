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
        const reader = await db.connection.runAndReadAll(query);
        const columns = reader.columnNames();
        const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
        process.stdout.write(formatRows(columns, rows, opts.format as OutputFormat));
      } finally {
        db.close();
      }
    });
}
