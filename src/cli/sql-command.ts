/**
 * `trailbook sql`: an analyst's own SQL over a case file, read-only and sandboxed. The query can
 * read the case's tables and nothing else; the only file it can produce is the one `--out` names,
 * written by trailbook (not by the query) from the query's result.
 */
import { InvalidArgumentError, type Command } from "commander";
import type { SqlParams } from "../query/case.js";
import { parseTime } from "../query/filters.js";
import type { ExitStatus } from "./exit.js";
import { asUsage, formatOf, QUERY_FORMATS, withCase, writeOutput } from "./query-output.js";

interface SqlOptions {
  db: string;
  format: string;
  out?: string;
  param: SqlParams;
  from?: string;
  to?: string;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Collects `--param name=value` into bound parameters (values stay text; cast in SQL). */
function collectParam(value: string, previous: SqlParams): SqlParams {
  const eq = value.indexOf("=");
  const name = eq > 0 ? value.slice(0, eq) : "";
  if (!PARAM_NAME.test(name)) {
    throw new InvalidArgumentError(
      `expected name=value with a name such as account_id, got ${JSON.stringify(value)}`,
    );
  }
  return { ...previous, [name]: value.slice(eq + 1) };
}

export function registerSql(program: Command, _status: ExitStatus): void {
  program
    .command("sql")
    .description("run one read-only SQL query against a case file, sandboxed")
    .argument("<query>", "the SQL to run (one statement)")
    .requiredOption("--db <file>", "the case file")
    .option(
      "--param <name=value>",
      "bind $name to value (text; repeat for more)",
      collectParam,
      {} as SqlParams,
    )
    .option("--from <time>", "bound as $from (ISO 8601, UTC unless a zone is given)")
    .option("--to <time>", "bound as $to")
    .option("--format <format>", `output format: ${QUERY_FORMATS.join(", ")}`, "table")
    .option("--out <file>", "write the result to this file (the only file the command writes)")
    .addHelpText(
      "after",
      `
The case file is opened read-only and sandboxed: the query reads the case's tables (events,
source_files, event_records, ...) and nothing else. Other files (read_csv, read_json, glob,
FROM 'file'), ATTACH, COPY ... TO, EXPORT, INSTALL/LOAD, SET and PRAGMA are refused. Values go in as
bound parameters: --param name=value binds $name; --from and --to bind $from and $to.

Examples:
  $ trailbook sql --db case.duckdb "SELECT event_name, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC"
  $ trailbook sql --db case.duckdb --param who=arn:aws:iam::777788889999:user/build-bot \\
      --from 2026-10-27 "SELECT event_time, event_name, event_id FROM events
      WHERE principal_arn = $who AND event_time >= $from::TIMESTAMPTZ" --format parquet --out bot.parquet`,
    )
    .action(async (query: string, opts: SqlOptions) =>
      asUsage(async () => {
        const format = formatOf(opts);
        const params: SqlParams = { ...opts.param };
        if (opts.from !== undefined) params.from = parseTime(opts.from, "from").toISOString();
        if (opts.to !== undefined) params.to = parseTime(opts.to, "to").toISOString();
        // Large results stream (CSV, JSON, NDJSON, Parquet); a table holds every row.
        await withCase(
          opts.db,
          (c) => writeOutput(c, { columns: [], query: { sql: query, params } }, format, opts.out),
          { sandbox: true },
        );
      }),
    );
}
