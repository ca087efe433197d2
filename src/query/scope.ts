/**
 * What a case holds, for a time range: the evidence files (with their hashes and what became of
 * each), the accounts and event sources, the events' time span, and what was quarantined. This is
 * the "scope" an audit report opens with: what the conclusions rest on, and what they cannot.
 */
import type { Case, QueryResult } from "./case.js";
import { filtersToSql, normalizeFilters, type QueryFilters } from "./filters.js";

/** The events of the range, in one row. */
export interface EventSpanRow {
  events: number;
  first_event: string | null;
  last_event: string | null;
  accounts: number;
  regions: number;
  principals: number;
  event_sources: number;
}

export interface AccountRow {
  account_id: string;
  events: number;
  regions: string[];
  first_event: string;
  last_event: string;
}

export interface EventSourceRow {
  event_source: string;
  events: number;
  errors: number;
}

/** Files per kind and status. */
export interface FileCountRow {
  kind: string;
  status: string;
  files: number;
  bytes: number;
  records: number;
  events_loaded: number;
  duplicates: number;
}

/** One evidence file, with its hash and how many of its events fall in the range. */
export interface SourceFileRow {
  file_id: number;
  path: string;
  member: string | null;
  sha256: string;
  size: number;
  kind: string;
  status: string;
  events_loaded: number;
  events_in_range: number;
  error_code: string | null;
  error: string | null;
}

export interface IngestRunRow {
  run_id: number;
  started_at: string;
  finished_at: string | null;
  inputs: string[];
  tool_version: string;
}

export interface CaseScope {
  span: QueryResult<EventSpanRow>;
  accounts: QueryResult<AccountRow>;
  eventSources: QueryResult<EventSourceRow>;
  fileCounts: QueryResult<FileCountRow>;
  files: QueryResult<SourceFileRow>;
  quarantined: QueryResult<SourceFileRow>;
  runs: QueryResult<IngestRunRow>;
}

/** The scope of a case for the filters' time range (and accounts, principals...). */
export async function caseScope(c: Case, filters: QueryFilters = {}): Promise<CaseScope> {
  const where = filtersToSql(normalizeFilters(filters));
  const span = await c.sql<EventSpanRow>(
    `SELECT count(*) AS events, min(event_time) AS first_event, max(event_time) AS last_event,
  count(DISTINCT recipient_account_id) AS accounts, count(DISTINCT aws_region) AS regions,
  count(DISTINCT actor) AS principals, count(DISTINCT event_source) AS event_sources
FROM events
WHERE ${where.sql}`,
    where.params,
  );
  const accounts = await c.sql<AccountRow>(
    `SELECT coalesce(recipient_account_id, '(none)') AS account_id, count(*) AS events,
  list_sort(list_distinct(list(aws_region))) AS regions,
  min(event_time) AS first_event, max(event_time) AS last_event
FROM events
WHERE ${where.sql}
GROUP BY ALL
ORDER BY events DESC, account_id`,
    where.params,
  );
  const eventSources = await c.sql<EventSourceRow>(
    `SELECT event_source, count(*) AS events, count(error_code) AS errors
FROM events
WHERE ${where.sql}
GROUP BY ALL
ORDER BY events DESC, event_source`,
    where.params,
  );
  const fileCounts = await c.sql<FileCountRow>(
    `SELECT kind, status, count(*) AS files, sum(size) AS bytes, sum(record_count) AS records,
  sum(loaded_count) AS events_loaded, sum(duplicate_count) AS duplicates
FROM source_files
GROUP BY ALL
ORDER BY status, files DESC, kind`,
  );
  // Events in the range per file: the files the range's conclusions rest on.
  const fileSql = (extra: string) => `WITH in_range AS (
  SELECT file_id, count(*) AS n FROM events WHERE ${where.sql} GROUP BY file_id
)
SELECT f.file_id, f.path, f.member, f.sha256, f.size, f.kind, f.status,
  f.loaded_count AS events_loaded, coalesce(r.n, 0) AS events_in_range, f.error_code, f.error
FROM source_files f LEFT JOIN in_range r USING (file_id)
${extra}
ORDER BY f.path, f.member NULLS FIRST, f.file_id`;
  const files = await c.sql<SourceFileRow>(fileSql(""), where.params);
  // The quarantined files are some of those rows, in the same order: taken from them rather than
  // asked again, which would count the range's events per file a second time. The result keeps
  // the SQL that selects them on its own, so a report shows a query that gives exactly its rows.
  const quarantined: QueryResult<SourceFileRow> = {
    rows: files.rows.filter((f) => f.status === "quarantined"),
    columns: [...files.columns],
    types: { ...files.types },
    sql: fileSql("WHERE f.status = 'quarantined'"),
    params: { ...files.params },
  };
  const runs = await c.sql<IngestRunRow>(
    `SELECT run_id, started_at, finished_at, inputs, tool_version FROM ingest_runs ORDER BY run_id`,
  );
  return { span, accounts, eventSources, fileCounts, files, quarantined, runs };
}
