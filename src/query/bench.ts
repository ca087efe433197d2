/**
 * The main queries of the query layer, each timed once on a warm connection, for the benchmark.
 */
import { openCase, type Case } from "./case.js";
import { checkFilterPattern, stsOutsidePattern } from "./controls.js";
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
    const busiest = await c.sql<{ actor: string }>(
      "SELECT actor FROM events WHERE actor IS NOT NULL GROUP BY actor ORDER BY count(*) DESC LIMIT 1",
    );
    const actor = busiest.rows[0]?.actor ?? "(none)";
    const queries: [string, (c: Case) => Promise<number>][] = [
      ["sts regions (both)", async (c) => (await stsByRegion(c, { groupBy: "both" })).rows.length],
      [
        "sts regions (logged)",
        async (c) => (await stsByRegion(c, { groupBy: "logged" })).rows.length,
      ],
      [
        "sts outside (allowed regions)",
        async (c) => (await stsOutsideRegions(c, { allowedRegions: ALLOWED })).rows.length,
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
