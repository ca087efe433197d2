import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IamLoadError, loadIamSnapshots, openCase, type Case } from "../src/index.js";
import { REAL_DATASETS, REPO_ROOT } from "./fixtures/real-datasets.js";
import { HAVE_REAL_IAM, realIamFiles } from "./fixtures/real-iam.js";

const SAMPLE_IAM = join(REPO_ROOT, "sample-data", "iam");

const SAMPLE_FILES = [
  "111122223333-authorization-details.json",
  "444455556666-authorization-details.json",
  "777788889999-authorization-details.json",
  "get-role-VendorMonitoring.json",
  "organization.json",
].map((f) => join(SAMPLE_IAM, f));

const TABLES = [
  "iam_loads",
  "iam_snapshots",
  "iam_roles",
  "iam_users",
  "iam_groups",
  "iam_policies",
  "iam_organizations",
  "iam_org_accounts",
];

async function counts(c: Case): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await c.sql<{ n: number }>(`SELECT count(*) AS n FROM ${t}`);
    out[t] = r.rows[0]!.n;
  }
  return out;
}

async function rejected(c: Case, files: string[]): Promise<IamLoadError> {
  try {
    await loadIamSnapshots(c, files);
  } catch (e) {
    expect(e).toBeInstanceOf(IamLoadError);
    return e as IamLoadError;
  }
  throw new Error(`expected ${files.join(", ")} to be rejected`);
}

describe("iam load: the sample's snapshots", () => {
  let dir: string;
  let c: Case;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-iam-load-"));
    c = await openCase(join(dir, "case.duckdb"), { writable: true, create: true });
  });
  afterAll(() => {
    c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should store every role, user, group, policy and organization account", async () => {
    const summary = await loadIamSnapshots(c, SAMPLE_FILES);
    expect(summary.loaded).toBe(5);
    expect(summary.alreadyLoaded).toBe(0);
    expect(summary.files.map((f) => f.kind)).toEqual([
      "authorization-details",
      "authorization-details",
      "authorization-details",
      "get-role",
      "organization",
    ]);
    const expected = { roles: 0, users: 0, groups: 0, policies: 0 };
    for (const file of SAMPLE_FILES.slice(0, 3)) {
      const d = JSON.parse(readFileSync(file, "utf8"));
      expected.roles += d.RoleDetailList.length;
      expected.users += d.UserDetailList.length;
      expected.groups += d.GroupDetailList.length;
      expected.policies += d.Policies.length;
    }
    const org = JSON.parse(readFileSync(SAMPLE_FILES[4]!, "utf8"));
    const n = await counts(c);
    expect(n.iam_roles).toBe(expected.roles + 1); // + the get-role output
    expect(n.iam_users).toBe(expected.users);
    expect(n.iam_groups).toBe(expected.groups);
    expect(n.iam_policies).toBe(expected.policies);
    expect(n.iam_org_accounts).toBe(org.Accounts.length);
    expect(n.iam_organizations).toBe(1);
    expect(n.iam_loads).toBe(1);
    expect(summary.roles).toBe(n.iam_roles);
  });

  it("should decode URL-encoded documents and keep how each arrived", async () => {
    const r = await c.sql<{ enc: string; n: number; accounts: string[] }>(
      `SELECT trust_policy_encoding AS enc, count(*) AS n, list(DISTINCT account_id) AS accounts
       FROM iam_roles GROUP BY ALL ORDER BY enc`,
    );
    expect(r.rows.map((x) => x.enc)).toEqual(["object", "url-encoded"]);
    expect(r.rows[1]!.accounts).toEqual(["777788889999"]);
    // Decoded: the same JSON paths answer whatever the encoding.
    const versions = await c.sql<{ v: string }>(
      "SELECT DISTINCT trust_policy->>'Version' AS v FROM iam_roles",
    );
    expect(versions.rows).toEqual([{ v: "2012-10-17" }]);
    const snap = await c.sql<{ url: number; json: number }>(
      "SELECT sum(documents_url_encoded) AS url, sum(documents_json) AS json FROM iam_snapshots",
    );
    expect(snap.rows[0]!.url).toBeGreaterThan(0);
    expect(snap.rows[0]!.json).toBeGreaterThan(0);
  });

  it("should keep each snapshot's hash, load time and source field", async () => {
    const r = await c.sql<{ sha256: string; loaded_at: string; path: string }>(
      "SELECT sha256, loaded_at, path FROM iam_snapshots ORDER BY snapshot_id",
    );
    expect(r.rows.map((x) => x.path)).toEqual(SAMPLE_FILES);
    for (const row of r.rows) {
      expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.parse(row.loaded_at)).toBeGreaterThan(Date.parse("2025-01-01"));
    }
    const fields = await c.sql<{ field: string }>(
      "SELECT field FROM iam_roles WHERE role_name = 'VendorMonitoring' ORDER BY snapshot_id",
    );
    expect(fields.rows.map((x) => x.field)).toEqual([
      expect.stringMatching(/^RoleDetailList\[\d+\]$/),
      "Role",
    ]);
  });

  it("should do nothing when the same files come again, whatever their name", async () => {
    const before = await counts(c);
    const again = await loadIamSnapshots(c, SAMPLE_FILES);
    expect(again.loadId).toBeNull();
    expect(again.loaded).toBe(0);
    expect(again.alreadyLoaded).toBe(5);
    const renamed = join(dir, "renamed.json");
    copyFileSync(SAMPLE_FILES[0]!, renamed);
    const copy = await loadIamSnapshots(c, [renamed]);
    expect(copy.files[0]!.status).toBe("already-loaded");
    expect(copy.files[0]!.firstLoadedFrom).toBe(SAMPLE_FILES[0]);
    expect(await counts(c)).toEqual(before);
  });
});

describe("iam load: bad and partial documents", () => {
  let dir: string;
  let c: Case;
  const good = () => JSON.parse(readFileSync(SAMPLE_FILES[1]!, "utf8"));
  const write = (name: string, content: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
    return p;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-iam-bad-"));
    c = await openCase(join(dir, "case.duckdb"), { writable: true, create: true });
    await loadIamSnapshots(c, [SAMPLE_FILES[0]!]);
  });
  afterAll(() => {
    c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, () => unknown, string, RegExp | string][] = [
    ["not JSON", () => '{"RoleDetailList": [', "not-json", ""],
    ["a list", () => [1, 2], "document-unrecognised", ""],
    ["another AWS output", () => ({ trailList: [] }), "document-unrecognised", ""],
    [
      "a role without its ARN",
      () => {
        const d = good();
        delete d.RoleDetailList[2].Arn;
        return d;
      },
      "field-missing",
      "RoleDetailList[2].Arn",
    ],
    [
      "a role ARN that is not one",
      () => {
        const d = good();
        d.RoleDetailList[1].Arn = "arn:aws:iam::444455556666:user/x";
        return d;
      },
      "field-invalid",
      "RoleDetailList[1].Arn",
    ],
    [
      "a trust policy with a bad Effect",
      () => {
        const d = good();
        d.RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Effect = "Permit";
        return d;
      },
      "policy-invalid",
      "RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Effect",
    ],
    [
      "a trust statement without a principal",
      () => {
        const d = good();
        delete d.RoleDetailList[3].AssumeRolePolicyDocument.Statement[0].Principal;
        return d;
      },
      "policy-invalid",
      "RoleDetailList[3].AssumeRolePolicyDocument.Statement[0].Principal",
    ],
    [
      "a URL-encoded document that is not JSON",
      () => {
        const d = good();
        d.RoleDetailList[0].AssumeRolePolicyDocument = "%7B%22Version%22%3A";
        return d;
      },
      "policy-invalid",
      "RoleDetailList[0].AssumeRolePolicyDocument",
    ],
    [
      "an inline policy with an unknown condition operator",
      () => {
        const d = good();
        d.RoleDetailList.find(
          (r: { RolePolicyList: unknown[] }) => r.RolePolicyList.length,
        ).RolePolicyList[0].PolicyDocument.Statement[0].Condition = { StringEqualz: { a: "b" } };
        return d;
      },
      "policy-invalid",
      /^RoleDetailList\[\d+\]\.RolePolicyList\[0\]\.PolicyDocument\.Statement\[0\]\.Condition\.StringEqualz$/,
    ],
    [
      "a truncated page",
      () => ({ Roles: good().RoleDetailList.slice(0, 1), IsTruncated: true, Marker: "abc" }),
      "partial",
      "IsTruncated",
    ],
    [
      "an organization id that is not one",
      () => ({ Organization: { Id: "org-1" }, Accounts: [] }),
      "field-invalid",
      "Organization.Id",
    ],
    [
      "an organization account without an id",
      () => ({ Accounts: [{ Name: "x" }] }),
      "field-missing",
      "Accounts[0].Id",
    ],
    [
      "a recorded error response",
      () => ({ status_code: 404, data: { Error: { Code: "NoSuchEntity", Message: "gone" } } }),
      "response-error",
      "data.Error",
    ],
  ];

  it.each(cases)(
    "should reject %s, naming the file and the field, and change nothing",
    async (name, content, code, field) => {
      const before = await counts(c);
      const bad = write(`${name.replaceAll(" ", "-")}.json`, content());
      // Beside a good file: the good one must not be stored either.
      const e = await rejected(c, [SAMPLE_FILES[2]!, bad]);
      expect(e.code).toBe(code);
      expect(e.file).toBe(bad);
      expect(e.message.startsWith(`${bad}: `)).toBe(true);
      if (typeof field === "string") expect(e.field).toBe(field);
      else expect(e.field).toMatch(field);
      if (e.field) expect(e.message).toContain(e.field);
      expect(await counts(c)).toEqual(before);
    },
  );

  it("should load a truncated page when asked to, marked partial", async () => {
    const page = write("page.json", {
      Roles: good().RoleDetailList.slice(0, 2),
      IsTruncated: true,
      Marker: "abc",
    });
    const summary = await loadIamSnapshots(c, [page], { allowPartial: true });
    expect(summary.files[0]!.partial).toBe(true);
    expect(summary.files[0]!.warnings.map((w) => w.code)).toContain("partial");
    const r = await c.sql<{ partial: boolean; roles: number }>(
      "SELECT partial, roles FROM iam_snapshots WHERE path = $p",
      { p: page },
    );
    expect(r.rows).toEqual([{ partial: true, roles: 2 }]);
  });

  it("should name a missing file", async () => {
    const e = await rejected(c, [join(dir, "nope.json")]);
    expect(e.code).toBe("file-unreadable");
    expect(e.message).toContain("nope.json");
  });
});

/** Every policy document a file holds, wherever it sits (as the engine's real-export test finds them). */
function documentsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) documentsIn(v, out);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      // The roles an instance profile lists repeat their own trust policy (checked, stored once).
      if (k === "InstanceProfileList") continue;
      if ((k === "AssumeRolePolicyDocument" || k === "PolicyDocument" || k === "Document") && v) {
        out.push(typeof v === "string" ? v : JSON.stringify(v));
      } else documentsIn(v, out);
    }
  }
  return out;
}

describe.skipIf(!HAVE_REAL_IAM)("iam load: the real IAM exports", () => {
  let dir: string;
  let c: Case;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-iam-real-"));
    c = await openCase(join(dir, "case.duckdb"), { writable: true, create: true });
  });
  afterAll(() => {
    c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should load every export and store every policy in it, refusing only what is not an export", async () => {
    const files = realIamFiles();
    const refused: Record<string, string[]> = {};
    let documents = 0;
    for (const file of files) {
      let held: string[] = [];
      try {
        held = documentsIn(JSON.parse(readFileSync(file, "utf8")));
      } catch {
        // not JSON: iam load must say so
      }
      try {
        // Cloud Custodian's recordings hold single pages of role listings.
        const summary = await loadIamSnapshots(c, [file], { allowPartial: true });
        // Identical contents are stored once: count the documents of the files stored now.
        if (summary.loaded === 1) documents += held.length;
      } catch (e) {
        expect(e, file).toBeInstanceOf(IamLoadError);
        const err = e as IamLoadError;
        (refused[err.code] ??= []).push(file.slice(REAL_DATASETS.length + 1));
        // What is refused holds no policy document that a user would lose.
        expect(held, `${file}: ${err.message}`).toEqual(
          err.code === "document-unrecognised" ? held : [],
        );
      }
    }
    // Not exports: a cloudsplaining scan result, cloudmapper's trail list and SAML providers.
    expect(refused["document-unrecognised"]?.sort()).toEqual([
      "duo-labs_cloudmapper/account-data/demo/us-east-1/cloudtrail-describe-trails.json",
      "duo-labs_cloudmapper/account-data/demo/us-east-1/iam-list-saml-providers.json",
      "salesforce_cloudsplaining/test/files/scanning/test_authorization_file_details_missing_constraints_v2.json",
    ]);
    // Recorded NoSuchEntity answers, and two hand-trimmed role listings without trust policies.
    expect(refused["response-error"]?.length).toBe(4);
    expect(refused["field-missing"]?.length).toBe(2);
    expect(Object.keys(refused).sort()).toEqual([
      "document-unrecognised",
      "field-missing",
      "response-error",
    ]);
    const stored = await c.sql<{ n: number }>(
      `SELECT (SELECT count(*) FROM iam_roles)
        + (SELECT coalesce(sum(json_array_length(inline_policies)), 0) FROM iam_roles)
        + (SELECT coalesce(sum(json_array_length(inline_policies)), 0) FROM iam_users)
        + (SELECT coalesce(sum(json_array_length(inline_policies)), 0) FROM iam_groups)
        + (SELECT coalesce(sum(versions), 0) FROM iam_policies) AS n`,
    );
    const distinct = await c.sql<{ n: number }>("SELECT count(*) AS n FROM iam_snapshots");
    expect(distinct.rows[0]!.n).toBeGreaterThan(50);
    expect(stored.rows[0]!.n).toBe(documents);
    expect(documents).toBeGreaterThan(300);
    const encodings = await c.sql<{ enc: string }>(
      "SELECT DISTINCT trust_policy_encoding AS enc FROM iam_roles ORDER BY enc",
    );
    expect(encodings.rows.map((r) => r.enc)).toEqual(["object", "url-encoded"]);
  });
});

describe.skipIf(HAVE_REAL_IAM)("iam load: the real IAM exports are absent", () => {
  it("is skipped", () => {
    console.warn(`skipped: no real IAM exports under ${REAL_DATASETS}`);
  });
});
