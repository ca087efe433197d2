/**
 * Upgrading a case file written by an older trailbook to the current schema (SCHEMA_VERSION in
 * schema.ts), in place, when it is opened for writing. Each step rewrites only what its version
 * changed; the case keeps every original record, so a step recomputes from the records what an
 * older load did not store.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { ACTOR_SQL, FEDERATED_IDENTITY_TYPES } from "./actor.js";
import { RECORD_STRUCT } from "./load-sql.js";
import { ORIGINAL_RECORD_SQL } from "./record.js";
import { quoteString } from "./sql.js";

/**
 * 1 -> 2: the actor of SAMLUser and WebIdentityUser callers, and of callers named only by a
 * principal id or user name, which schema 1 left NULL. Recomputed by the load's own expression
 * (ACTOR_SQL) over each such event's record read back from the kept file, so an upgraded case
 * holds exactly what a fresh load of the same evidence holds. An event is one record of one file:
 * (file_id, record_index) names it.
 */
const ACTORS_1_TO_2 = `UPDATE events SET actor = fixed.actor
FROM (
  SELECT file_id, record_index, ${ACTOR_SQL} AS actor
  FROM (
    SELECT e.file_id, e.record_index,
      json_transform(${ORIGINAL_RECORD_SQL}::JSON, ${quoteString(RECORD_STRUCT)}) AS j
    FROM events e
    JOIN source_files f USING (file_id)
    JOIN source_contents c ON c.sha256 = f.sha256
    WHERE e.actor IS NULL
      OR e.identity_type IN (${FEDERATED_IDENTITY_TYPES.map(quoteString).join(", ")})
  )
) fixed
WHERE events.file_id = fixed.file_id AND events.record_index = fixed.record_index`;

/** The steps, by the version they upgrade from. */
const STEPS: Record<number, string[]> = {
  1: [ACTORS_1_TO_2],
};

/**
 * Brings a case file from `from` to `to`, in one transaction with the version it records: an
 * interrupted upgrade leaves the file as it was. The connection must have the record functions (`record.ts`).
 */
export async function upgradeCase(
  connection: DuckDBConnection,
  from: number,
  to: number,
): Promise<void> {
  await connection.run("BEGIN TRANSACTION");
  try {
    for (let v = from; v < to; v++) {
      const steps = STEPS[v];
      if (!steps) throw new Error(`no upgrade of a case file from schema ${v} to ${v + 1}`);
      for (const sql of steps) await connection.run(sql);
    }
    await connection.run("UPDATE case_meta SET value = $v WHERE key = 'schema_version'", {
      v: String(to),
    });
    await connection.run("COMMIT");
  } catch (e) {
    await connection.run("ROLLBACK");
    throw e;
  }
}
