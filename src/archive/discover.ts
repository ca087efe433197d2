/**
 * Finding evidence files: every regular file under the given paths, recursively, in a stable
 * order. Symbolic links to files are followed; links to folders are not (a loop would never end).
 */
import { opendir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";

export class EvidencePathError extends Error {
  readonly code = "evidence-not-found";
  constructor(readonly path: string) {
    super(`no such file or folder: ${path}`);
    this.name = "EvidencePathError";
  }
}

/** Absolute paths of the files under `inputs`; throws EvidencePathError for a missing input. */
export async function* discoverFiles(inputs: string[]): AsyncGenerator<string> {
  for (const input of inputs) {
    const path = resolve(input);
    const info = await stat(path).catch(() => null);
    if (info === null) throw new EvidencePathError(input);
    if (info.isDirectory()) yield* walk(path);
    else yield path;
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries: { name: string; isDir: boolean; isFile: boolean; isLink: boolean }[] = [];
  for await (const e of await opendir(dir)) {
    entries.push({
      name: e.name,
      isDir: e.isDirectory(),
      isFile: e.isFile(),
      isLink: e.isSymbolicLink(),
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDir) yield* walk(path);
    else if (e.isFile) yield path;
    else if (e.isLink) {
      const target = await stat(path).catch(() => null);
      if (target?.isFile()) yield path;
    }
  }
}

/** The parts of an S3 export path: AWSLogs/[o-org/]account/CloudTrail[-Digest|-Insight]/region/Y/M/D/. */
export interface S3Location {
  orgId: string | null;
  accountId: string;
  region: string;
  date: string;
}

const S3_PATH =
  /AWSLogs\/+(?:(o-[a-z0-9]{10,32})\/+)?(\d{12})\/+CloudTrail(?:-Digest|-Insight)?\/+([a-z0-9-]+)\/+(\d{4})\/+(\d{2})\/+(\d{2})\//;

export function parseS3Location(path: string): S3Location | null {
  const m = S3_PATH.exec(path.replaceAll("\\", "/"));
  if (!m) return null;
  return { orgId: m[1] ?? null, accountId: m[2]!, region: m[3]!, date: `${m[4]}-${m[5]}-${m[6]}` };
}
