/**
 * The measurements of the load benchmark: the archive (generated once per size and seed, then
 * reused), the decompression floor, and one ingest by the real CLI in a child process.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeBenchArchive, type BenchArchiveResult } from "../src/sample/bench.js";
import type { IngestSummary } from "../src/store/ingest.js";
import { defaultScratchBase } from "../src/store/scratch.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BENCH_DIR = join(ROOT, ".bench");

export interface Archive extends BenchArchiveResult {
  dir: string;
  /** NUL-separated list of the archive's files, for xargs. */
  listPath: string;
  /** Files of at least 1 MiB compressed (the busy hours). */
  largeFiles: number;
  generatedSeconds: number | null;
}

/** The archive for `events` and `seed`, generated on first use and cached under .bench/. */
export async function benchArchive(events: number, seed: number): Promise<Archive> {
  const dir = join(BENCH_DIR, `archive-${events}-s${seed}`);
  const done = join(dir, "archive.json");
  const listPath = join(BENCH_DIR, `archive-${events}-s${seed}.files`);
  let generatedSeconds: number | null = null;
  let result: BenchArchiveResult;
  if (existsSync(done)) {
    result = JSON.parse(readFileSync(done, "utf8")) as BenchArchiveResult;
  } else {
    // A half-written archive from an interrupted run is not reused: the marker comes last.
    rmSync(dir, { recursive: true, force: true });
    const data = join(dir, "evidence");
    mkdirSync(data, { recursive: true });
    const start = performance.now();
    result = await writeBenchArchive({ outDir: data, events, seed });
    generatedSeconds = (performance.now() - start) / 1000;
    await writeFile(done, JSON.stringify(result, null, 2));
  }
  const files = listFiles(join(dir, "evidence"));
  if (files.length !== result.files) {
    throw new Error(`${dir} holds ${files.length} files, expected ${result.files}: delete it`);
  }
  await writeFile(listPath, files.map((f) => f.path).join("\0"));
  return {
    ...result,
    dir: join(dir, "evidence"),
    listPath,
    largeFiles: files.filter((f) => f.size >= 1 << 20).length,
    generatedSeconds,
  };
}

function listFiles(dir: string, out: { path: string; size: number }[] = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) listFiles(path, out);
    else out.push({ path, size: statSync(path).size });
  }
  return out;
}

export interface Timing {
  wallSeconds: number;
  userSeconds: number;
  systemSeconds: number;
}

export const cpuSeconds = (t: Timing) => t.userSeconds + t.systemSeconds;

/** Reads every file once so that the floor and the ingest both start from a warm page cache. */
export function warmCache(archive: Archive): void {
  runShell(`xargs -0 cat < "$1" > /dev/null`, [archive.listPath]);
}

/**
 * The floor: `gzip -dc` of every file to /dev/null, one file after another on one core. The
 * shell's `times` gives the CPU its children used.
 */
export function floor(archive: Archive): Timing {
  const start = performance.now();
  const out = runShell(`xargs -0 gzip -dc < "$1" > /dev/null; times`, [archive.listPath]);
  const wallSeconds = (performance.now() - start) / 1000;
  // `times` prints the shell's own user/system times, then its children's: "0m7.120s 0m0.410s".
  const children = out.trim().split("\n").at(-1) ?? "";
  const [user, system] = children.split(/\s+/).map(minutesSeconds);
  return { wallSeconds, userSeconds: user ?? NaN, systemSeconds: system ?? NaN };
}

function minutesSeconds(text: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

function runShell(script: string, args: string[]): string {
  const r = spawnSync("bash", ["-c", script, "bench", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench: \`${script}\` failed: ${r.stderr}`);
  return r.stdout;
}

export interface IngestRun extends Timing {
  maxRssBytes: number;
  /**
   * The most bytes the loader's scratch folder held, sampled every 50 ms. Under /dev/shm this
   * is memory too, beside the process's RSS.
   */
  maxScratchBytes: number;
  caseBytes: number;
  summary: IngestSummary;
}

export interface IngestRunOptions {
  workers?: number;
  loaders?: number;
  threads?: number;
}

/**
 * Runs `trailbook ingest --json` from the built CLI (what users run) into a fresh case file, in
 * a child process whose own resource usage (all threads) the preloaded hook reports.
 */
export async function ingestRun(
  archive: Archive,
  casePath: string,
  options: IngestRunOptions = {},
): Promise<IngestRun> {
  for (const p of [casePath, `${casePath}.wal`]) rmSync(p, { force: true });
  const usagePath = `${casePath}.rusage.json`;
  rmSync(usagePath, { force: true });
  const args = [
    "--import",
    new URL("./rusage-hook.mjs", import.meta.url).href,
    join(ROOT, "bin", "trailbook.js"),
    "ingest",
    archive.dir,
    "--db",
    casePath,
    "--json",
  ];
  if (options.workers) args.push("--workers", String(options.workers));
  if (options.loaders) args.push("--loaders", String(options.loaders));
  if (options.threads) args.push("--threads", String(options.threads));
  const start = performance.now();
  let maxScratchBytes = 0;
  let sampler: NodeJS.Timeout | undefined;
  const { code, stdout, stderr } = await run(
    process.execPath,
    args,
    { ...process.env, TRAILBOOK_BENCH_RUSAGE: usagePath },
    (pid) => {
      const folder = join(defaultScratchBase(casePath), `trailbook-ingest-${pid}`);
      sampler = setInterval(() => {
        maxScratchBytes = Math.max(maxScratchBytes, folderBytes(folder));
      }, 50);
    },
  );
  clearInterval(sampler);
  const wallSeconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`bench: ingest exited ${code}:\n${stderr}`);
  const usage = JSON.parse(readFileSync(usagePath, "utf8")) as {
    maxRssKiB: number;
    userSeconds: number;
    systemSeconds: number;
  };
  rmSync(usagePath, { force: true });
  return {
    wallSeconds,
    userSeconds: usage.userSeconds,
    systemSeconds: usage.systemSeconds,
    maxRssBytes: usage.maxRssKiB * 1024,
    maxScratchBytes,
    caseBytes:
      statSync(casePath).size +
      (existsSync(`${casePath}.wal`) ? statSync(`${casePath}.wal`).size : 0),
    summary: JSON.parse(stdout) as IngestSummary,
  };
}

function folderBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        total += statSync(join(dir, name)).size;
      } catch {
        // Deleted between the listing and the stat.
      }
    }
  } catch {
    // Not made yet, or already removed.
  }
  return total;
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onSpawn?: (pid: number) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Whether the ingest loaded exactly the archive: every file, every event, nothing quarantined. */
export function checkRun(archive: Archive, r: IngestRun): string[] {
  const s = r.summary;
  const problems: string[] = [];
  if (s.files.byStatus.loaded !== archive.files) {
    problems.push(`${s.files.byStatus.loaded} files loaded, the archive has ${archive.files}`);
  }
  if (s.records.loaded + s.records.duplicates !== archive.events) {
    problems.push(`${s.records.loaded} events loaded, the archive has ${archive.events}`);
  }
  if (s.quarantined.length > 0) problems.push(`${s.quarantined.length} files quarantined`);
  if (!s.checks.eventsAddUp || !s.checks.recordsAddUp) problems.push("counts do not add up");
  return problems;
}
