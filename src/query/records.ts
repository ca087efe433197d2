/**
 * The original CloudTrail records of events, read back from the file bytes the case keeps, for
 * work that must see a record as AWS wrote it rather than the columns the ingest extracted (the
 * filter-pattern check, notebooks that want the whole record).
 *
 * This reads each source file once and cuts its records out in JS. The `event_records` view
 * gives the same records in SQL, at about the same speed for a full scan (on the sample case,
 * 0.2-0.3 s here, 0.6 s through the view: see `store/database.ts`).
 */
import { readRecord } from "../store/record.js";
import type { Case } from "./case.js";
import { filtersToSql, normalizeFilters, type QueryFilters } from "./filters.js";

export interface OriginalRecord {
  event_id: string;
  record: Record<string, unknown>;
}

interface FileRecords {
  sha256: string;
  content: Uint8Array;
  recs: { id: string; o: bigint | number; n: number; enc: string }[];
}

/** The SQL listing, per kept file, the byte ranges of the selected events' records. */
export function recordRangesSql(filters: QueryFilters = {}) {
  const where = filtersToSql(normalizeFilters(filters), { alias: "e" });
  const sql = `WITH ranges AS (
  SELECT e.file_id, list({'id': e.event_id, 'o': e.record_offset, 'n': e.record_length,
    'enc': e.record_encoding} ORDER BY e.record_index) AS recs
  FROM events e
  WHERE ${where.sql}
  GROUP BY e.file_id
)
SELECT c.sha256, c.content, r.recs
FROM ranges r
JOIN source_files f USING (file_id)
JOIN source_contents c ON c.sha256 = f.sha256
ORDER BY r.file_id`;
  return { sql, params: where.params };
}

/**
 * The original records of the events the filters select, parsed, in pages (one page per chunk of
 * files), in file order: sort by `eventTime` if time order matters.
 */
export async function* originalRecords(
  c: Case,
  filters: QueryFilters = {},
): AsyncGenerator<OriginalRecord[]> {
  const { sql, params } = recordRangesSql(filters);
  const result = await c.streamResult(sql, params);
  for await (const rows of result.yieldRowObjectJs()) {
    const page: OriginalRecord[] = [];
    for (const row of rows as unknown as FileRecords[]) {
      for (const r of row.recs) {
        const text = readRecord(row.sha256, row.content, Number(r.o), Number(r.n), r.enc);
        page.push({ event_id: r.id, record: JSON.parse(text) as Record<string, unknown> });
      }
    }
    yield page;
  }
}
