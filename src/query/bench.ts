/**
 * The main queries of the query layer, each timed on a warm connection, for the benchmark
 * (`npm run bench`; the issue asks for each under a second on a million-event case).
 */
import { openCase, type Case } from "./case.js";
import { checkFilterPattern, stsOutsidePattern } from "./controls.js";
import { regionLockStatement } from "./region-lock.js";
import { stsOutsideRegions } from "./sts-outside.js";
import { stsByRegion } from "./sts-regions.js";
import { timeline } from "./timeline.js";

const ALLOWED = ["us-east-1", "us-west-2"];

/** Runs each main query twice (a warm-up, then the timed run) and reports the timed run. */
export async function benchQueries(
  casePath: string,
): Promise<{ name: string; ms: number; rows: number }[]> {
  const c = await openCase(casePath);
  try {
    // The busiest principal and access key: the longest timelines the case holds.
    const busiest = await c.sql<{ actor: string | null; key: string | null }>(
      `SELECT (SELECT actor FROM events WHERE actor IS NOT NULL
               GROUP BY actor ORDER BY count(*) DESC, actor LIMIT 1) AS actor,
              (SELECT access_key_id FROM events WHERE access_key_id IS NOT NULL
               GROUP BY access_key_id ORDER BY count(*) DESC, access_key_id LIMIT 1) AS key`,
    );
    const actor = busiest.rows[0]?.actor ?? "(none)";
    const key = busiest.rows[0]?.key ?? "(none)";
    const policy = { Version: "2012-10-17", Statement: [regionLockStatement(ALLOWED)] };
    const queries: [string, (c: Case) => Promise<number>][] = [
      ["sts regions (both)", async (c) => (await stsByRegion(c, { groupBy: "both" })).rows.length],
      [
        "sts regions (logged)",
        async (c) => (await stsByRegion(c, { groupBy: "logged" })).rows.length,
      ],
      [
        "sts regions (serving)",
        async (c) => (await stsByRegion(c, { groupBy: "serving" })).rows.length,
      ],
      [
        "sts outside (allowed regions)",
        async (c) => (await stsOutsideRegions(c, { allowedRegions: ALLOWED })).rows.length,
      ],
      [
        "sts outside (policy document)",
        async (c) => (await stsOutsideRegions(c, { policy })).principals.length,
      ],
      [
        "sts controls (filter pattern check)",
        async (c) =>
          (await checkFilterPattern(c, stsOutsidePattern(ALLOWED), { allowedRegions: ALLOWED }))
            .filterCount,
      ],
      [
        "timeline (busiest principal)",
        async (c) => (await timeline(c, { principal: actor })).rows.length,
      ],
      [
        "timeline (busiest access key)",
        async (c) => (await timeline(c, { accessKeyId: key })).rows.length,
      ],
      [
        "arrow (busiest principal, 5 columns)",
        async (c) =>
          (
            await c.arrow(
              `SELECT event_time, event_name, aws_region, source_ip, error_code
               FROM events WHERE actor = $actor ORDER BY event_time`,
              { actor },
            )
          ).numRows,
      ],
    ];
    const out: { name: string; ms: number; rows: number }[] = [];
    for (const [name, run] of queries) {
      await run(c);
      const start = performance.now();
      const rows = await run(c);
      out.push({ name, ms: Math.round((performance.now() - start) * 10) / 10, rows });
    }
    return out;
  } finally {
    c.close();
  }
}
