/**
 * The loader's scratch folder: where reader workers write the chunks of record lines that DuckDB
 * reads (archive/chunk-writer.ts). Each chunk lives from the moment its batch is closed until
 * DuckDB has read it, so the folder holds a few chunks at a time (about 64-100 MB each).
 *
 * By default the folder goes in memory (`/dev/shm`) where the system has one: measured on the
 * benchmark archive, chunks on a disk-backed folder cost 2-6 CPU-seconds more kernel time per
 * million records, and the readers stalled whenever the kernel throttled their writes. Elsewhere
 * it goes beside the case file.
 *
 * The folder is named after the process (`trailbook-ingest-<pid>`). A run killed with SIGKILL
 * cannot remove its own, so every run first removes the folders of processes that no longer
 * exist; until then, the chunks of a killed run take space (memory, under /dev/shm).
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

const PREFIX = "trailbook-ingest-";
const MEMORY_FS = "/dev/shm";

/** Where the scratch folder goes when the user did not say. */
export function defaultScratchBase(dbPath: string): string {
  try {
    accessSync(MEMORY_FS, constants.W_OK);
    if (statSync(MEMORY_FS).isDirectory()) return MEMORY_FS;
  } catch {
    // No in-memory filesystem here (macOS, Windows, some containers).
  }
  return dirname(dbPath);
}

/** Creates this process's scratch folder under `base`, after removing those of dead runs. */
export async function makeScratch(base: string): Promise<string> {
  await removeAbandoned(base);
  const dir = join(base, `${PREFIX}${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, "owner"), `trailbook ingest, process ${process.pid}\n`);
  return dir;
}

async function removeAbandoned(base: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    // Only folders this loader made, recognised by their owner note.
    if (!ownedByLoader(join(base, name))) continue;
    await rm(join(base, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function ownedByLoader(dir: string): boolean {
  try {
    return readFileSync(join(dir, "owner"), "utf8").startsWith("trailbook ingest");
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
