// Preloaded into the benchmark's ingest child (`node --import`): when the process exits, writes
// its own resource usage (all threads: the reader workers and DuckDB's) to the file named by
// TRAILBOOK_BENCH_RUSAGE. getrusage of the process itself gives the exact peak RSS, which polling
// from outside could miss, and needs no tool beyond Node.
import { writeFileSync } from "node:fs";

const target = process.env.TRAILBOOK_BENCH_RUSAGE;
if (target) {
  const started = performance.now();
  process.on("exit", () => {
    const u = process.resourceUsage();
    writeFileSync(
      target,
      JSON.stringify({
        maxRssKiB: u.maxRSS,
        userSeconds: u.userCPUTime / 1e6,
        systemSeconds: u.systemCPUTime / 1e6,
        wallSeconds: (performance.now() - started) / 1000,
      }),
    );
  });
}
