/** The baseline's entry for the benchmark harness: one run on a case file, timed. */
import { openCase } from "../query/case.js";
import { runBaseline } from "./run.js";

/** Opens the case read-only, runs the default baseline from `detectFrom`, and closes it. */
export async function benchBaseline(
  casePath: string,
  detectFrom: string,
): Promise<{ ms: number; findings: number }> {
  const c = await openCase(casePath);
  try {
    const start = performance.now();
    const result = await runBaseline(c, { detectFrom });
    return { ms: Math.round(performance.now() - start), findings: result.findings.length };
  } finally {
    c.close();
  }
}
