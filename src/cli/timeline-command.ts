/**
 * `trailbook timeline`: one principal's, access key's or session's events in time order.
 */
import type { Command } from "commander";
import { splitList } from "../query/filters.js";
import { timelineSql, TIMELINE_COLUMNS, type TimelineOptions } from "../query/timeline.js";
import type { ExitStatus } from "./exit.js";
import { positiveInteger } from "./options.js";
import {
  addCommonOptions,
  asUsage,
  filtersOf,
  formatOf,
  withCase,
  writeOutput,
  type CommonOptions,
} from "./query-output.js";

interface TimelineCommandOptions extends CommonOptions {
  principal?: string;
  accessKeyId?: string;
  session?: string;
  columns?: string;
  limit?: number;
}

export function registerTimeline(program: Command, _status: ExitStatus): void {
  addCommonOptions(
    program
      .command("timeline")
      .description("the events of one principal, access key or session, in time order")
      .option("--principal <arn>", "an actor or ARN (a role: all its sessions)")
      .option("--access-key-id <id>", "one access key (AKIA... or ASIA...)")
      .option("--session <arn-or-key>", "one assumed-role session: its ARN or temporary key id")
      .option("--columns <list>", "comma-separated columns (see below)")
      .option("--limit <n>", "at most this many events (the earliest)", positiveInteger),
  )
    .addHelpText(
      "after",
      `
Columns: ${TIMELINE_COLUMNS.join(", ")}.
event_id is always included.

Examples:
  $ trailbook timeline --db case.duckdb --principal arn:aws:iam::777788889999:user/build-bot
  $ trailbook timeline --db case.duckdb --access-key-id AKIAEXAMPLE --format csv --out keys.csv
  $ trailbook timeline --db case.duckdb --session arn:aws:sts::111122223333:assumed-role/Admin/alice \\
      --columns event_time,event_name,source_ip,error_code --format ndjson`,
    )
    .action(async (opts: TimelineCommandOptions) =>
      asUsage(async () => {
        const format = formatOf(opts);
        const options: TimelineOptions = { ...filtersOf(opts) };
        if (opts.principal !== undefined) options.principal = opts.principal;
        if (opts.accessKeyId !== undefined) options.accessKeyId = opts.accessKeyId;
        if (opts.session !== undefined) options.session = opts.session;
        const columns = splitList(opts.columns);
        if (columns) options.columns = columns;
        if (opts.limit !== undefined) options.limit = opts.limit;
        const query = timelineSql(options);
        // A timeline can be long: every format but the table streams from the query.
        await withCase(opts.db, (c) =>
          writeOutput(
            c,
            { columns: query.columns, query: { sql: query.sql, params: query.params } },
            format,
            opts.out,
          ),
        );
      }),
    );
}
