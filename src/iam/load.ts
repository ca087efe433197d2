/**
 * `trailbook iam load`: IAM snapshots into the case file.
 *
 * Every file is read and checked in full before the case is touched; then all of them are stored
 * in one transaction. So a load either stores every new file or, when one is bad, nothing at all,
 * and the error names the file and the field. A file whose content (SHA-256) is already in the
 * case is not stored again, whatever its name: reloading is a no-op.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Case } from "../query/case.js";
import { listValue } from "../query/filters.js";
import { TOOL_VERSION } from "../store/version.js";
import { ensureIamSchema } from "./schema.js";
import {
  IamLoadError,
  readSnapshot,
  type IamDocumentKind,
  type ParsedSnapshot,
  type SnapshotWarning,
} from "./snapshot.js";

export interface IamLoadOptions {
  /** Accept pages of paginated listings (IsTruncated); they are stored marked `partial`. */
  allowPartial?: boolean;
}

/** What became of one input file. */
export interface IamLoadedFile {
  path: string;
  sha256: string;
  /** `loaded` now, or `already-loaded` (the same content is in the case, maybe under another name). */
  status: "loaded" | "already-loaded";
  snapshotId: number;
  kind: IamDocumentKind;
  /** For `already-loaded`: the path the content was first loaded from. */
  firstLoadedFrom?: string;
  partial: boolean;
  accounts: string[];
  roles: number;
  users: number;
  groups: number;
  policies: number;
  orgAccounts: number;
  documents: { json: number; urlEncoded: number };
  warnings: SnapshotWarning[];
}

export interface IamLoadSummary {
  /** The load's id in `iam_loads`; null when nothing new was stored. */
  loadId: number | null;
  db: string;
  files: IamLoadedFile[];
  loaded: number;
  alreadyLoaded: number;
  /** Totals over the files loaded now. */
  roles: number;
  users: number;
  groups: number;
  policies: number;
  orgAccounts: number;
  warnings: number;
}

interface Pending {
  path: string;
  sha256: string;
  size: number;
  parsed: ParsedSnapshot;
}

async function readInput(
  file: string,
): Promise<{ path: string; sha256: string; size: number; text: string }> {
  const path = resolve(file);
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new IamLoadError(
        "file-unreadable",
        file,
        "",
        "is a folder: give the export files themselves",
      );
    }
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof IamLoadError) throw e;
    throw new IamLoadError("file-unreadable", file, "", (e as Error).message);
  }
  return {
    path,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
    text: bytes.toString("utf8").replace(/^\uFEFF/, ""),
  };
}

async function scalar(c: DuckDBConnection, sql: string): Promise<number> {
  const reader = await c.runAndReadAll(sql);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

/** Inserts a list of row objects through one statement: DuckDB unnests their JSON. */
async function insertRows(
  c: DuckDBConnection,
  table: string,
  snapshotId: number,
  rows: readonly object[],
  select: string,
): Promise<void> {
  if (rows.length === 0) return;
  await c.run(
    `INSERT INTO ${table} SELECT $sid, ${select}
     FROM (SELECT unnest(from_json($rows::JSON, '["JSON"]')) AS r)`,
    { sid: snapshotId, rows: JSON.stringify(rows) },
  );
}

const s = (key: string) => `r->>'${key}'`;
const t = (key: string) => `(r->>'${key}')::TIMESTAMPTZ`;
const i = (key: string) => `(r->>'${key}')::INTEGER`;
const j = (key: string) => `r->'${key}'`;
const l = (key: string) => `from_json(r->'${key}', '["VARCHAR"]')`;

async function store(c: DuckDBConnection, snapshotId: number, p: ParsedSnapshot): Promise<void> {
  await insertRows(
    c,
    "iam_roles",
    snapshotId,
    p.roles,
    [
      s("field"),
      s("account_id"),
      s("role_name"),
      s("role_id"),
      s("arn"),
      s("path"),
      t("create_date"),
      s("description"),
      i("max_session_duration"),
      j("trust_policy"),
      s("trust_policy_encoding"),
      s("permissions_boundary_arn"),
      j("attached_policies"),
      j("inline_policies"),
      l("instance_profiles"),
      j("tags"),
      t("last_used_at"),
      s("last_used_region"),
    ].join(", "),
  );
  await insertRows(
    c,
    "iam_users",
    snapshotId,
    p.users,
    [
      s("field"),
      s("account_id"),
      s("user_name"),
      s("user_id"),
      s("arn"),
      s("path"),
      t("create_date"),
      l("groups"),
      s("permissions_boundary_arn"),
      j("attached_policies"),
      j("inline_policies"),
      j("tags"),
    ].join(", "),
  );
  await insertRows(
    c,
    "iam_groups",
    snapshotId,
    p.groups,
    [
      s("field"),
      s("account_id"),
      s("group_name"),
      s("group_id"),
      s("arn"),
      s("path"),
      t("create_date"),
      j("attached_policies"),
      j("inline_policies"),
    ].join(", "),
  );
  await insertRows(
    c,
    "iam_policies",
    snapshotId,
    p.policies,
    [
      s("field"),
      s("account_id"),
      s("policy_name"),
      s("policy_id"),
      s("arn"),
      s("path"),
      s("default_version_id"),
      i("attachment_count"),
      // A JSON null (no default version) is stored as SQL NULL.
      `CASE WHEN json_type(r->'document') = 'NULL' THEN NULL ELSE r->'document' END`,
      i("versions"),
    ].join(", "),
  );
  await insertRows(
    c,
    "iam_organizations",
    snapshotId,
    p.organizations,
    [s("org_id"), s("arn"), s("management_account_id"), s("feature_set")].join(", "),
  );
  await insertRows(
    c,
    "iam_org_accounts",
    snapshotId,
    p.orgAccounts,
    [s("org_id"), s("account_id"), s("name"), s("email"), s("status"), s("arn")].join(", "),
  );
}

function describeFile(
  f: Pending,
  status: IamLoadedFile["status"],
  snapshotId: number,
  first?: string,
): IamLoadedFile {
  const p = f.parsed;
  const out: IamLoadedFile = {
    path: f.path,
    sha256: f.sha256,
    status,
    snapshotId,
    kind: p.kind,
    partial: p.partial,
    accounts: p.accounts,
    roles: p.roles.length,
    users: p.users.length,
    groups: p.groups.length,
    policies: p.policies.length,
    orgAccounts: p.orgAccounts.length,
    documents: { ...p.documents },
    warnings: p.warnings,
  };
  if (first !== undefined) out.firstLoadedFrom = first;
  return out;
}

/**
 * Loads IAM snapshot files into a case opened writable (`openCase(path, { writable: true })`).
 * Throws {@link IamLoadError} (nothing stored) when any file cannot be read whole.
 */
export async function loadIamSnapshots(
  c: Case,
  files: readonly string[],
  options: IamLoadOptions = {},
): Promise<IamLoadSummary> {
  if (c.database.readOnly) {
    throw new Error("loadIamSnapshots needs a case opened writable ({ writable: true })");
  }
  // 1. Read and check everything first: a bad file stops the load before the case is touched.
  const pending: Pending[] = [];
  for (const file of files) {
    const input = await readInput(file);
    const parsed = readSnapshot(file, input.text, options);
    pending.push({ path: input.path, sha256: input.sha256, size: input.size, parsed });
  }

  const conn = c.database.connection;
  await ensureIamSchema(conn);
  const known = new Map<string, { id: number; path: string }>();
  if (pending.length > 0) {
    const reader = await conn.runAndReadAll(
      "SELECT sha256, snapshot_id, path FROM iam_snapshots WHERE list_contains($hashes, sha256)",
      { hashes: listValue(pending.map((p) => p.sha256)) },
    );
    for (const [sha, id, path] of reader.getRows())
      known.set(String(sha), { id: Number(id), path: String(path) });
  }

  // 2. Store the new ones in one transaction.
  const results: IamLoadedFile[] = [];
  const fresh = pending.filter((p, n) => {
    const earlier = known.get(p.sha256);
    if (earlier) {
      results[n] = describeFile(p, "already-loaded", earlier.id, earlier.path);
      return false;
    }
    return true;
  });
  let loadId: number | null = null;
  if (fresh.length > 0) {
    await conn.run("BEGIN TRANSACTION");
    try {
      loadId = await scalar(conn, "SELECT coalesce(max(load_id), 0) + 1 FROM iam_loads");
      let snapshotId = await scalar(
        conn,
        "SELECT coalesce(max(snapshot_id), 0) FROM iam_snapshots",
      );
      const now = new Date().toISOString();
      for (const [n, p] of pending.entries()) {
        if (results[n]) continue;
        // The same content given twice in one load is stored once.
        const same = known.get(p.sha256);
        if (same) {
          results[n] = describeFile(p, "already-loaded", same.id, same.path);
          continue;
        }
        snapshotId++;
        const ps = p.parsed;
        await conn.run(
          `INSERT INTO iam_snapshots VALUES ($id, $load, $path, $sha, $size, $kind, $envelope,
             $partial, $accounts, $roles, $users, $groups, $policies, $org_accounts, $json,
             $url, $warnings::JSON, $now::TIMESTAMPTZ)`,
          {
            id: snapshotId,
            load: loadId,
            path: p.path,
            sha: p.sha256,
            size: p.size,
            kind: ps.kind,
            envelope: ps.envelope,
            partial: ps.partial,
            accounts: listValue(ps.accounts),
            roles: ps.roles.length,
            users: ps.users.length,
            groups: ps.groups.length,
            policies: ps.policies.length,
            org_accounts: ps.orgAccounts.length,
            json: ps.documents.json,
            url: ps.documents.urlEncoded,
            warnings: JSON.stringify(ps.warnings),
            now,
          },
        );
        await store(conn, snapshotId, ps);
        known.set(p.sha256, { id: snapshotId, path: p.path });
        results[n] = describeFile(p, "loaded", snapshotId);
      }
      const summary = summarize(loadId, c.path, results);
      await conn.run(
        "INSERT INTO iam_loads VALUES ($id, $now::TIMESTAMPTZ, $inputs, $version, $summary::JSON)",
        {
          id: loadId,
          now,
          inputs: listValue(pending.map((p) => p.path)),
          version: TOOL_VERSION,
          summary: JSON.stringify({ ...summary, files: undefined }),
        },
      );
      await conn.run("COMMIT");
    } catch (e) {
      await conn.run("ROLLBACK");
      throw e;
    }
  }
  return summarize(loadId, c.path, results);
}

function summarize(loadId: number | null, db: string, files: IamLoadedFile[]): IamLoadSummary {
  const loaded = files.filter((f) => f.status === "loaded");
  const sum = (k: "roles" | "users" | "groups" | "policies" | "orgAccounts") =>
    loaded.reduce((n, f) => n + f[k], 0);
  return {
    loadId,
    db,
    files,
    loaded: loaded.length,
    alreadyLoaded: files.length - loaded.length,
    roles: sum("roles"),
    users: sum("users"),
    groups: sum("groups"),
    policies: sum("policies"),
    orgAccounts: sum("orgAccounts"),
    warnings: loaded.reduce((n, f) => n + f.warnings.length, 0),
  };
}
