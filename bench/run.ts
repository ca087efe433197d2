/**
 * The load benchmark (`npm run bench`; `npm run bench -- --events 200000` for a smaller run).
 *
 * Generates (once, cached under .bench/) an S3-layout archive of many small and some large
 * `.json.gz` files, then measures in one run: the floor (`gzip -dc` of every file on one core),
 * the ingest by the built CLI into a fresh case file (wall, CPU, peak RSS), and the main queries
 * on the loaded case. Prints a table and writes the figures as JSON under .bench/.
 *
 * The floor and the ingest alternate when repeated, so that a busy neighbour on a shared machine
 * weighs on both alike; CPU seconds are reported beside wall seconds for the same reason.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg, availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchBaseline } from "../src/baseline/bench.js";
import { benchQueries } from "../src/query/bench.js";
import { benchTrust } from "../src/iam/bench.js";
import type { IngestSummary } from "../src/store/ingest.js";
import {
  BENCH_DIR,
  ROOT,
  benchArchive,
  checkRun,
  cpuSeconds,
  floor,
  ingestRun,
  warmCache,
  type IngestRun,
  type Timing,
} from "./measure.js";

const USAGE = `usage: npm run bench -- [--events N] [--seed N] [--repeat N] [--workers N] [--loaders N] [--threads N] [--no-queries]

  --events N    events in the generated archive (default 1000000)
  --seed N      generator seed (default 1)
  --repeat N    floor and ingest measured N times each, alternating (default 1)
  --workers N   reader threads for the ingest (default: the ingest's own)
  --loaders N   batches loaded at once (default: the ingest's own)
  --threads N   DuckDB threads per statement (default: the ingest's own)
  --no-queries  skip the query timings`;

// The bench archive spans September 2026; its last week is the baseline's detection window.
const DETECT_FROM = "2026-09-24";

function options() {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "1000000" },
      seed: { type: "string", default: "1" },
      repeat: { type: "string", default: "1" },
      workers: { type: "string" },
      loaders: { type: "string" },
      threads: { type: "string" },
      "no-queries": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    process.exit(0);
  }
  const whole = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text.replaceAll("_", ""));
    if (!Number.isInteger(n) || n <= 0) {
      process.stderr.write(`bench: --${name} must be a positive whole number, got ${text}\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    events: whole("events", values.events)!,
    seed: whole("seed", values.seed)!,
    repeat: whole("repeat", values.repeat)!,
    workers: whole("workers", values.workers),
    loaders: whole("loaders", values.loaders),
    threads: whole("threads", values.threads),
    queries: !values["no-queries"],
  };
}

const log = (line: string) => process.stderr.write(line + "\n");
const mb = (bytes: number) => bytes / 1e6;
const fixed = (n: number, digits = 1) => n.toFixed(digits);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const o = options();
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  mkdirSync(BENCH_DIR, { recursive: true });
  // Measure what users run: the compiled CLI, rebuilt from the current sources.
  log("bench: building dist/ ...");
  const build = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    { cwd: ROOT, stdio: "inherit" },
  );
  if (build.status !== 0) throw new Error("bench: the build failed");

  log(`bench: archive of ${o.events.toLocaleString()} events (seed ${o.seed}) ...`);
  const archive = await benchArchive(o.events, o.seed);
  if (archive.generatedSeconds !== null) {
    log(`bench: generated in ${fixed(archive.generatedSeconds)} s into ${archive.dir}`);
  }
  warmCache(archive);

  const casePath = join(BENCH_DIR, `case-${o.events}-s${o.seed}.duckdb`);
  const floors: Timing[] = [];
  const ingests: IngestRun[] = [];
  for (let i = 1; i <= o.repeat; i++) {
    log(`bench: floor (gzip -dc, one core), run ${i}/${o.repeat} ...`);
    floors.push(floor(archive));
    log(`bench: ingest, run ${i}/${o.repeat} ...`);
    const r = await ingestRun(archive, casePath, {
      workers: o.workers,
      loaders: o.loaders,
      threads: o.threads,
    });
    const problems = checkRun(archive, r);
    if (problems.length > 0) throw new Error(`bench: the ingest was wrong: ${problems.join("; ")}`);
    ingests.push(r);
  }

  let queries: { name: string; ms: number; rows: number }[] = [];
  let baseline: { ms: number; findings: number } | null = null;
  if (o.queries) {
    log("bench: queries on the loaded case ...");
    queries = [...(await benchQueries(casePath)), ...(await benchTrust(casePath))];
    baseline = await benchBaseline(casePath, DETECT_FROM);
  }

  const floorWall = median(floors.map((f) => f.wallSeconds));
  const floorCpu = median(floors.map(cpuSeconds));
  const runs = ingests.map((r, i) => ({
    wallSeconds: r.wallSeconds,
    cpuSeconds: cpuSeconds(r),
    userSeconds: r.userSeconds,
    systemSeconds: r.systemSeconds,
    floorWallSeconds: floors[i]!.wallSeconds,
    ratio: r.wallSeconds / floors[i]!.wallSeconds,
    cpuRatio: cpuSeconds(r) / cpuSeconds(floors[i]!),
    peakRssBytes: r.maxRssBytes,
    peakScratchBytes: r.maxScratchBytes,
    phases: r.summary.phases,
    caseBytes: r.caseBytes,
    eventsPerSecond: archive.events / r.wallSeconds,
    compressedMBps: mb(archive.compressedBytes) / r.wallSeconds,
    decompressedMBps: mb(archive.jsonBytes) / r.wallSeconds,
  }));
  const wall = median(runs.map((r) => r.wallSeconds));
  const last = ingests.at(-1)!;
  const result = {
    date: new Date().toISOString(),
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? "unknown",
      node: process.version,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    command: `npm run bench -- --events ${o.events} --seed ${o.seed} --repeat ${o.repeat}`,
    archive: {
      events: archive.events,
      files: archive.files,
      largeFiles: archive.largeFiles,
      compressedBytes: archive.compressedBytes,
      jsonBytes: archive.jsonBytes,
    },
    floor: {
      wallSeconds: floorWall,
      cpuSeconds: floorCpu,
      runs: floors.map((f) => ({ wallSeconds: f.wallSeconds, cpuSeconds: cpuSeconds(f) })),
    },
    ingest: {
      wallSeconds: wall,
      cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
      ratio: median(runs.map((r) => r.ratio)),
      cpuRatio: median(runs.map((r) => r.cpuRatio)),
      peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
      peakScratchBytes: Math.max(...runs.map((r) => r.peakScratchBytes)),
      eventsPerSecond: archive.events / wall,
      compressedMBps: mb(archive.compressedBytes) / wall,
      decompressedMBps: mb(archive.jsonBytes) / wall,
      caseBytes: last.caseBytes,
      caseToArchive: last.caseBytes / archive.compressedBytes,
      runs,
    },
    queries,
    baseline: baseline && { detectFrom: DETECT_FROM, ...baseline },
  };
  const stamp = result.date.replace(/[:.]/g, "-");
  const jsonPath = join(BENCH_DIR, `results-${o.events}-s${o.seed}-${stamp}.json`);
  writeFileSync(jsonPath, JSON.stringify(result, null, 2) + "\n");
  writeFileSync(join(BENCH_DIR, "latest.json"), JSON.stringify(result, null, 2) + "\n");
  process.stdout.write(render(result) + `\nFigures written to ${jsonPath}\n`);
}

type Result = {
  machine: {
    cores: number;
    cpu: string;
    node: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  archive: {
    events: number;
    files: number;
    largeFiles: number;
    compressedBytes: number;
    jsonBytes: number;
  };
  floor: { wallSeconds: number; cpuSeconds: number };
  ingest: {
    wallSeconds: number;
    cpuSeconds: number;
    ratio: number;
    cpuRatio: number;
    peakRssBytes: number;
    peakScratchBytes: number;
    eventsPerSecond: number;
    compressedMBps: number;
    decompressedMBps: number;
    caseBytes: number;
    caseToArchive: number;
    runs: {
      wallSeconds: number;
      cpuSeconds: number;
      ratio: number;
      peakRssBytes: number;
      phases: IngestSummary["phases"];
    }[];
  };
  queries: { name: string; ms: number; rows: number }[];
  baseline: { detectFrom: string; ms: number; findings: number } | null;
};

function render(r: Result): string {
  const a = r.archive;
  const i = r.ingest;
  const rows: [string, string][] = [
    [
      "archive",
      `${a.events.toLocaleString()} events in ${a.files.toLocaleString()} files (${a.largeFiles} of them >= 1 MiB)`,
    ],
    ["archive size", `${fixed(mb(a.compressedBytes))} MB gzip, ${fixed(mb(a.jsonBytes))} MB JSON`],
    [
      "floor: gzip -dc, one core",
      `${fixed(r.floor.wallSeconds, 2)} s wall, ${fixed(r.floor.cpuSeconds, 2)} s CPU`,
    ],
    [
      "ingest",
      `${fixed(i.wallSeconds, 2)} s wall, ${fixed(i.cpuSeconds, 2)} s CPU ` +
        `(${fixed(i.cpuSeconds / i.wallSeconds, 2)} cores busy on average)`,
    ],
    ["ingest / floor", `${fixed(i.ratio, 2)}x wall, ${fixed(i.cpuRatio, 2)}x CPU`],
    ["events per second", Math.round(i.eventsPerSecond).toLocaleString()],
    [
      "MB per second",
      `${fixed(i.compressedMBps)} compressed, ${fixed(i.decompressedMBps)} decompressed`,
    ],
    [
      "peak memory",
      `${fixed(i.peakRssBytes / 2 ** 30, 2)} GiB RSS; scratch chunks at most ` +
        `${fixed(i.peakScratchBytes / 2 ** 20, 0)} MiB (in memory when under /dev/shm)`,
    ],
    [
      "case file",
      `${fixed(mb(i.caseBytes))} MB, ${fixed(i.caseToArchive, 2)}x the compressed archive`,
    ],
  ];
  const p = i.runs.at(-1)!.phases;
  rows.push([
    "loaders' time (last run, summed over loaders)",
    `${fixed(p.waiting, 1)} s waiting for readers, ${fixed(p.inserting, 1)} s inserting, ` +
      `${fixed(p.leftovers, 1)} s leftovers, ${fixed(p.committing, 1)} s committing, ` +
      `${fixed(p.deduplicating, 1)} s checking duplicates`,
  ]);
  if (i.runs.length > 1) {
    i.runs.forEach((run, n) =>
      rows.push([
        `  run ${n + 1}`,
        `${fixed(run.wallSeconds, 2)} s wall, ${fixed(run.cpuSeconds, 2)} s CPU, ${fixed(run.ratio, 2)}x, ${fixed(run.peakRssBytes / 2 ** 30, 2)} GiB`,
      ]),
    );
  }
  for (const q of r.queries) rows.push([`query: ${q.name}`, `${q.ms} ms (${q.rows} rows)`]);
  if (r.baseline) {
    rows.push([
      `baseline from ${r.baseline.detectFrom}`,
      `${r.baseline.ms} ms (${r.baseline.findings} findings)`,
    ]);
  }
  rows.push([
    "machine",
    `${r.machine.cores} cores, ${r.machine.cpu}, Node ${r.machine.node}, ` +
      `load average ${r.machine.loadAverageAtStart[0]} at start, ${r.machine.loadAverageAtEnd[0]} at end`,
  ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n";
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
