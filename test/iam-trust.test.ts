import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assumptionGraph,
  ingest,
  loadIamSnapshots,
  openCase,
  trustChains,
  trustCheck,
  unusedRoles,
  type Case,
  type TrustCheckResult,
  type TrustCheckRow,
} from "../src/index.js";
import type { SampleExpectations } from "../src/sample/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SAMPLE = join(ROOT, "sample-data");
const expected = JSON.parse(
  readFileSync(join(SAMPLE, "expected.json"), "utf8"),
) as SampleExpectations;
const IAM = ["111122223333", "444455556666", "777788889999"].map((a) =>
  join(SAMPLE, "iam", `${a}-authorization-details.json`),
);
const GET_ROLE = join(SAMPLE, "iam", "get-role-VendorMonitoring.json");
const ORGANIZATION = join(SAMPLE, "iam", "organization.json");

const callers = expected.assumeRoles.flatMap((r) =>
  r.callers.map((c) => ({ ...c, roleArn: r.roleArn })),
);
const idsOf = (list: { eventIds: string[] }[]) => new Set(list.flatMap((c) => c.eventIds));
const sorted = (ids: Iterable<string>) => [...ids].sort();

let dir: string;
let full: Case;
let noOrg: Case;
let check: TrustCheckResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trailbook-trust-"));
  const db = join(dir, "case.duckdb");
  await ingest({ inputs: [join(SAMPLE, "evidence")], db, workers: 1 });
  // The same evidence, with the IAM snapshots but not the organization; and with none.
  copyFileSync(db, join(dir, "no-org.duckdb"));
  copyFileSync(db, join(dir, "no-iam.duckdb"));
  full = await openCase(db, { writable: true });
  await loadIamSnapshots(full, [...IAM, GET_ROLE, ORGANIZATION]);
  noOrg = await openCase(join(dir, "no-org.duckdb"), { writable: true });
  await loadIamSnapshots(noOrg, [...IAM, GET_ROLE]);
  check = await trustCheck(full);
});

afterAll(() => {
  full?.close();
  noOrg?.close();
  rmSync(dir, { recursive: true, force: true });
});

function rowsOf(ids: Iterable<string>): TrustCheckRow[] {
  const wanted = new Set(ids);
  return check.rows.filter((r) => r.event_ids.some((id) => wanted.has(id)));
}

describe("trust check on the sample: the calls", () => {
  it("should find every assumption once, its copies joined", () => {
    const all = idsOf(callers);
    const seen = check.rows.flatMap((r) => r.event_ids);
    expect(new Set(seen).size).toBe(seen.length);
    expect(sorted(seen)).toEqual(sorted(all));
    // A call is one row whatever the number of its copies.
    const calls = callers.reduce((n, c) => n + c.calls, 0);
    expect(check.rows.length).toBe(calls);
    expect(check.rows.filter((r) => r.event_ids.length === 2).length).toBe(
      expected.counts.crossAccountPairs,
    );
  });

  it("should recover the caller's ARN from its own trail for cross-account calls", () => {
    for (const c of callers.filter((c) => c.crossAccount)) {
      for (const r of rowsOf(c.eventIds)) {
        if (r.event_ids.length === 2) {
          expect(r.caller_source).toBe("joined");
          expect(r.caller_arn).toBe(c.callerArn);
        } else if (r.caller_kind === "account") {
          // The vendor's trail is not in the case: it stays an account.
          expect(r.caller_source).toBe("owner-trail-only");
          expect(r.caller).toBe(`account:${c.callerAccount}`);
        } else {
          expect(r.caller_source).toBe("caller-trail-only");
          expect(r.outcome).not.toBe("succeeded");
        }
      }
    }
    const alice = check.rows.filter(
      (r) => r.caller === "arn:aws:iam::111122223333:user/alice.nguyen" && r.cross_account,
    );
    expect(alice.length).toBeGreaterThan(30);
    expect(new Set(alice.map((r) => r.trails.sort().join(",")))).toEqual(
      new Set(["111122223333,444455556666"]),
    );
  });

  it("should decide each call as the sample's trust definitions say, naming the statement", () => {
    for (const c of callers) {
      const rows = rowsOf(c.eventIds);
      expect(rows.length, c.callerArn).toBe(c.calls);
      for (const r of rows) {
        expect(r.explanation.length, r.role_arn ?? "").toBeGreaterThan(20);
        if (c.trustAllows) {
          expect(r.decision, `${c.callerArn} -> ${c.roleArn}: ${r.explanation}`).toBe("allow");
          expect(r.deciding_statements).toEqual([c.allowingStatement]);
        } else {
          expect(["deny", "implicit-deny"], `${c.callerArn} -> ${c.roleArn}`).toContain(r.decision);
        }
      }
    }
    expect(check.byDecision.undetermined).toBe(0);
    expect(check.byDecision["no-snapshot"]).toBe(0);
  });

  it("should evaluate the conditions the log can answer: MFA and source IP, session names, SAML, OIDC", () => {
    const breakGlass = check.rows.filter(
      (r) => r.role_arn?.endsWith(":role/BreakGlassAdmin") && r.outcome === "succeeded",
    );
    expect(breakGlass.length).toBe(1);
    expect(breakGlass[0]!.mfa).toBe(true);
    expect(breakGlass[0]!.deciding_statements).toEqual(["AllowSecurityAccountWithMfaFromOffice"]);
    const exports = check.rows.filter((r) => r.role_arn?.endsWith(":role/orders-export"));
    expect(exports.length).toBe(3);
    for (const r of exports) expect(r.session_name).toMatch(/^export-/);
    const saml = check.rows.filter((r) => r.event_name === "AssumeRoleWithSAML");
    const oidc = check.rows.filter((r) => r.event_name === "AssumeRoleWithWebIdentity");
    expect(saml.length).toBeGreaterThan(0);
    expect(oidc.length).toBeGreaterThan(0);
    for (const r of [...saml, ...oidc]) {
      expect(r.decision).toBe("allow");
      expect(r.caller_kind).toBe(r.event_name === "AssumeRoleWithSAML" ? "saml" : "web-identity");
    }
  });

  it("should say when the trust allows a call something else refused", () => {
    const elsewhere = check.rows.filter((r) => r.verdict === "denied-elsewhere");
    expect(elsewhere.map((r) => [r.role_arn, r.denial_reason])).toEqual([
      ["arn:aws:iam::444455556666:role/OrgReadOnly", "scp"],
    ]);
  });

  it("should count verdicts and decisions that add up", () => {
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    expect(sum(check.byVerdict)).toBe(check.rows.length);
    expect(sum(check.byDecision)).toBe(check.rows.length);
    expect(check.snapshot.organizationLoaded).toBe(true);
    expect(check.queries.map((q) => q.name)).toEqual([
      "accounts",
      "roles",
      "assumptions",
      "unused-roles",
    ]);
    expect(check.sql).toContain("shared_event_id");
  });
});

describe("trust check on the sample: each finding on its planted case, and only there", () => {
  const findings = (kind: string) => check.findings.filter((f) => f.kind === kind);

  it("succeeded-but-not-allowed: dev-jenkins on reporting-reader (the stale snapshot)", () => {
    const planted = callers.filter((c) => c.finding === "stale-trust-snapshot");
    const [f, ...rest] = findings("succeeded-but-not-allowed");
    expect(rest).toEqual([]);
    expect(f!.severity).toBe("high");
    expect(f!.caller).toBe(planted[0]!.callerArn);
    expect(sorted(f!.event_ids)).toEqual(sorted(idsOf(planted)));
    expect(f!.explanation).toContain("AllowCiRunner");
  });

  it("denied-attempts: the stolen key's probing, and priya's one refusal", () => {
    const failed = callers.filter((c) => c.failed > 0);
    const got = findings("denied-attempts");
    expect(sorted(got.flatMap((f) => f.event_ids))).toEqual(sorted(idsOf(failed)));
    const probing = got.filter((f) => f.severity === "high");
    expect(probing.map((f) => f.caller)).toEqual(["arn:aws:iam::777788889999:user/build-bot"]);
    // The stolen key's story: its first probes, then the AssumeRole sweep.
    const storyIds = new Set(expected.anomalies.flatMap((a) => a.eventIds));
    for (const id of probing[0]!.event_ids) expect(storyIds.has(id)).toBe(true);
    expect(probing[0]!.roles.length).toBe(7);
    expect(got.find((f) => f.severity !== "high")!.caller).toBe(
      "arn:aws:iam::777788889999:user/priya.sharma",
    );
  });

  it("outside-account: the vendor, on both its roles", () => {
    const planted = callers.filter((c) => c.finding === "outside-organization");
    const got = findings("outside-account");
    expect(sorted(got.flatMap((f) => f.event_ids))).toEqual(sorted(idsOf(planted)));
    expect(new Set(got.map((f) => f.caller_account))).toEqual(new Set(["999988887777"]));
  });

  it("broad-trust-external: public-sharing by build-bot, the vendor's legacy whole-account trust", () => {
    const planted = callers.filter(
      (c) =>
        c.succeeded > 0 &&
        (c.allowingStatement === "AllowAnyone" ||
          c.allowingStatement === "AllowVendorAccountLegacy"),
    );
    expect(planted.length).toBe(2);
    const got = findings("broad-trust-external");
    expect(sorted(got.flatMap((f) => f.event_ids))).toEqual(sorted(idsOf(planted)));
    expect(got.map((f) => [f.role_arn?.split("/").pop(), f.severity]).sort()).toEqual([
      ["public-sharing", "high"],
      ["vendor-legacy-readonly", "medium"],
    ]);
  });

  it("role-chain: the chains the keys link, as the generator made them", () => {
    const got = findings("role-chain");
    expect(got.length).toBe(expected.roleChains.length);
    for (const want of expected.roleChains) {
      const f = got.find((g) => JSON.stringify(g.roles) === JSON.stringify(want.roles));
      expect(f, want.roles.join(" > ")).toBeDefined();
      // The generator names a service origin by its service name; callers are actor keys.
      const origin = want.origin.startsWith("arn:") ? want.origin : `service:${want.origin}`;
      expect(f!.caller).toBe(origin);
      expect(f!.calls).toBe(want.chains);
      expect(sorted(f!.event_ids)).toEqual(sorted(want.eventIds));
    }
    expect(Math.max(...check.chains.map((c) => c.hops))).toBe(3);
  });

  it("unused-role: the roles no successful assumption used", () => {
    const used = new Set(
      expected.assumeRoles
        .filter((r) => r.callers.some((c) => c.succeeded > 0))
        .map((r) => r.roleArn),
    );
    const snapshotRoles = IAM.flatMap((f) =>
      JSON.parse(readFileSync(f, "utf8")).RoleDetailList.map((r: { Arn: string }) => r.Arn),
    );
    const unused = snapshotRoles.filter((arn: string) => !used.has(arn)).sort();
    expect(unused).toEqual(expect.arrayContaining(expected.rolesNeverAssumed));
    expect(
      findings("unused-role")
        .map((f) => f.role_arn)
        .sort(),
    ).toEqual(unused);
    expect(check.unusedRoles.map((u) => u.role_arn).sort()).toEqual(unused);
  });

  it("should name no other finding kind", () => {
    expect(new Set(check.findings.map((f) => f.kind))).toEqual(
      new Set([
        "succeeded-but-not-allowed",
        "denied-attempts",
        "outside-account",
        "broad-trust-external",
        "role-chain",
        "unused-role",
      ]),
    );
  });
});

describe("trust check on the sample without the organization", () => {
  it("should leave organization conditions undetermined, naming the key, never guessing", async () => {
    const r = await trustCheck(noOrg);
    const org = r.rows.filter((x) => x.role_arn?.endsWith(":role/OrgReadOnly"));
    expect(org.length).toBeGreaterThan(10);
    for (const x of org) {
      expect(x.decision).toBe("undetermined");
      expect(x.verdict).toBe("undetermined");
      expect(x.unknown_keys).toEqual(["aws:PrincipalOrgID"]);
      expect(x.explanation).toContain("aws:PrincipalOrgID");
    }
    // Nothing else depends on the organization.
    expect(r.byDecision.undetermined).toBe(org.length);
    // The vendor is still outside: its account is not among those the case knows.
    const outside = r.findings.filter((f) => f.kind === "outside-account");
    expect(new Set(outside.map((f) => f.caller_account))).toEqual(new Set(["999988887777"]));
    expect(r.snapshot.organizationLoaded).toBe(false);
  });
});

describe("trust check on a case without IAM snapshots", () => {
  it("should still answer, saying for every call that no snapshot holds its role", async () => {
    const c = await openCase(join(dir, "no-iam.duckdb"));
    try {
      const r = await trustCheck(c);
      expect(r.rows.length).toBe(check.rows.length);
      expect(r.byVerdict["role-not-in-snapshot"]).toBe(r.rows.length);
      for (const x of r.rows) expect(x.explanation).toContain("No IAM snapshot is loaded");
      // What needs no trust policy still holds: chains, refusals, the graph.
      expect(r.chains.map((x) => x.path)).toEqual(check.chains.map((x) => x.path));
      expect(r.findings.filter((f) => f.kind === "denied-attempts").length).toBe(2);
      expect(r.unusedRoles).toEqual([]);
      expect(r.snapshot.roles).toBe(0);
    } finally {
      c.close();
    }
  });
});

describe("trust check, then iam load, on one writable connection", () => {
  it("should store the snapshots in the case, not in stand-in tables", async () => {
    const db = join(dir, "late-iam.duckdb");
    copyFileSync(join(dir, "no-iam.duckdb"), db);
    let c = await openCase(db, { writable: true });
    try {
      expect((await trustCheck(c)).byDecision["no-snapshot"]).toBe(check.rows.length);
      await loadIamSnapshots(c, [...IAM, GET_ROLE, ORGANIZATION]);
      expect((await trustCheck(c)).byVerdict).toEqual(check.byVerdict);
    } finally {
      c.close();
    }
    c = await openCase(db);
    try {
      expect((await trustCheck(c)).byVerdict).toEqual(check.byVerdict);
    } finally {
      c.close();
    }
  });
});

describe("role chains from decided rows", () => {
  const base = check0();
  function check0(): TrustCheckRow {
    return {
      event_time: "2026-01-01T00:00:00.000Z",
      event_name: "AssumeRole",
      event_ids: ["e0"],
      trails: ["111122223333"],
      role_arn: "arn:aws:iam::111122223333:role/a",
      role_account: "111122223333",
      snapshot_role_arn: "arn:aws:iam::111122223333:role/a",
      snapshot_id: 1,
      trust_versions: 1,
      caller: "arn:aws:iam::111122223333:user/u",
      caller_kind: "user",
      caller_arn: "arn:aws:iam::111122223333:user/u",
      caller_account: "111122223333",
      caller_provider: null,
      caller_source: "same-account",
      caller_relation: "same-account",
      cross_account: false,
      session_name: "s",
      external_id: null,
      source_identity: null,
      mfa: null,
      source_ip: null,
      user_agent: null,
      requested_region: "us-east-1",
      outcome: "succeeded",
      error_code: null,
      error_message: null,
      denial_reason: null,
      decision: "allow",
      verdict: "allowed",
      deciding_statements: [],
      broad_trust: null,
      unknown_keys: [],
      delegated_to_accounts: [],
      explanation: "",
      caller_access_key_id: "AKIAUSER",
      issued_access_key_id: "ASIA1",
      session_arn: null,
    };
  }

  it("should link hops by key, in time order, and start unseen sessions at their role", async () => {
    const { roleChains } = await import("../src/index.js");
    const session = (key: string, role: string) => ({
      caller: `arn:aws:iam::111122223333:role/${role}`,
      caller_kind: "role-session" as const,
      caller_access_key_id: key,
    });
    const rows: TrustCheckRow[] = [
      { ...base },
      {
        ...base,
        ...session("ASIA1", "a"),
        event_time: "2026-01-01T00:01:00.000Z",
        event_ids: ["e1"],
        role_arn: "arn:aws:iam::111122223333:role/b",
        snapshot_role_arn: "arn:aws:iam::111122223333:role/b",
        issued_access_key_id: "ASIA2",
      },
      // A session whose assumption is not in the case.
      {
        ...base,
        ...session("ASIA9", "x"),
        event_ids: ["e2"],
        role_arn: "arn:aws:iam::111122223333:role/b",
        snapshot_role_arn: "arn:aws:iam::111122223333:role/b",
        issued_access_key_id: null,
        outcome: "denied",
      },
      // A key used before it was issued is not a link.
      {
        ...base,
        ...session("ASIA2", "b"),
        event_time: "2025-12-31T00:00:00.000Z",
        event_ids: ["e3"],
        issued_access_key_id: null,
      },
    ];
    const chains = roleChains(rows);
    expect(chains.map((c) => [c.path, c.hops, c.origin_kind, c.last_outcome])).toEqual([
      ["arn:aws:iam::111122223333:user/u > a > b", 2, "user", "succeeded"],
      ["b > a", 1, "session-origin-not-in-case", "succeeded"],
      ["x > b", 1, "session-origin-not-in-case", "denied"],
    ]);
    expect(chains[0]!.event_ids).toEqual(["e0", "e1"]);
  });
});

describe("trust questions: range, filters, graph, chains", () => {
  it("should keep to the time range and the role filter", async () => {
    const from = expected.window.detection.start;
    const r = await trustCheck(full, { from });
    expect(r.rows.length).toBeGreaterThan(0);
    for (const x of r.rows) expect(x.event_time >= from).toBe(true);
    // Roles assumed only before the detection window become unused in it.
    expect(r.unusedRoles.length).toBeGreaterThan(check.unusedRoles.length);
    const one = await trustCheck(full, { roles: ["reporting-reader"] });
    expect(new Set(one.rows.map((x) => x.snapshot_role_arn))).toEqual(
      new Set(["arn:aws:iam::444455556666:role/reporting-reader"]),
    );
  });

  it("should keep both copies of a call when the caller is asked for by ARN", async () => {
    const r = await trustCheck(full, {
      principals: ["arn:aws:iam::111122223333:user/alice.nguyen"],
    });
    const cross = r.rows.filter((x) => x.cross_account);
    expect(cross.length).toBeGreaterThan(30);
    for (const x of cross) expect(x.event_ids.length).toBe(2);
  });

  it("should give the assumption graph as nodes and edges whose counts add up", async () => {
    const g = await assumptionGraph(full);
    expect(g.rows.reduce((n, e) => n + e.calls, 0)).toBe(check.rows.length);
    for (const e of g.rows) {
      expect(e.succeeded + e.denied + e.failed).toBe(e.calls);
      expect(e.trust_allowed + e.trust_not_allowed + e.undetermined + e.not_in_snapshot).toBe(
        e.calls,
      );
    }
    const ids = new Set(g.graph.nodes.map((n) => n.id));
    for (const e of g.rows) expect(ids.has(e.source) && ids.has(e.target)).toBe(true);
    // A chained role is one node: the target of one edge and the source of the next.
    const pipeline = "arn:aws:iam::444455556666:role/data-pipeline";
    expect(g.rows.some((e) => e.target === pipeline)).toBe(true);
    expect(g.rows.some((e) => e.source === pipeline)).toBe(true);
    expect(g.graph.nodes.find((n) => n.id === pipeline)!.kind).toBe("role");
    expect(g.sql).toBe(check.sql);
  });

  it("should answer chains and unused roles on their own", async () => {
    const chains = await trustChains(full);
    expect(chains.rows).toEqual(check.chains);
    const unused = await unusedRoles(full);
    expect(unused.rows).toEqual(check.unusedRoles);
    expect(unused.sql).toContain("iam_roles");
  });
});

describe("trailbook trust (the command line)", () => {
  const cli = (...args: string[]) =>
    execFileSync(process.execPath, [join(ROOT, "bin", "trailbook.js"), ...args], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });

  it("should print the findings, the calls and the chains in every format", () => {
    // The case is open in this process: the CLI reads a copy.
    const copy = join(dir, "cli.duckdb");
    full.close();
    copyFileSync(join(dir, "case.duckdb"), copy);
    const findings = JSON.parse(cli("trust", "check", "--db", copy, "--format", "json"));
    expect(findings.map((f: { kind: string }) => f.kind)).toEqual(
      check.findings.map((f) => f.kind),
    );
    const calls = cli("trust", "check", "--db", copy, "--view", "calls", "--format", "ndjson");
    expect(calls.trim().split("\n").length).toBe(check.rows.length);
    const csv = cli("trust", "chains", "--db", copy, "--format", "csv");
    expect(csv.split("\n")[0]).toContain("path");
    expect(csv.trim().split("\n").length).toBe(check.chains.length + 1);
    const table = cli("trust", "check", "--db", copy, "--view", "edges");
    expect(table).toContain("trust_allowed");
    const out = join(dir, "calls.parquet");
    cli("trust", "check", "--db", copy, "--view", "calls", "--format", "parquet", "--out", out);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe("PAR1");
  });
});

describe("trust check on hand-written edge cases", () => {
  const OWNER = "111122223333";
  const CALLER = "444455556666";
  const role = (name: string, statement: Record<string, unknown>) => ({
    Role: {
      Path: "/",
      RoleName: name,
      RoleId: `AROA${name.toUpperCase().padEnd(17, "X").slice(0, 17)}`,
      Arn: `arn:aws:iam::${OWNER}:role/${name}`,
      CreateDate: "2024-01-01T00:00:00Z",
      AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [statement] },
    },
  });
  let n = 0;
  const event = (o: {
    role: string;
    identity: Record<string, unknown>;
    recipient: string;
    eventName?: string;
    request?: Record<string, unknown> | null;
    response?: Record<string, unknown> | null;
    error?: string;
    requestId?: string;
    vpce?: string;
  }) => {
    n++;
    const hex = n.toString(16).padStart(12, "0");
    const r: Record<string, unknown> = {
      eventVersion: "1.08",
      userIdentity: o.identity,
      eventTime: `2026-05-01T10:00:${String(n).padStart(2, "0")}Z`,
      eventSource: "sts.amazonaws.com",
      eventName: o.eventName ?? "AssumeRole",
      awsRegion: "eu-west-1",
      sourceIPAddress: o.vpce ? "sts.amazonaws.com" : "198.51.100.9",
      userAgent: "aws-cli/2.15.0",
      requestParameters:
        o.request === undefined
          ? { roleArn: `arn:aws:iam::${OWNER}:role/${o.role}`, roleSessionName: "s" }
          : o.request,
      responseElements: o.response ?? null,
      requestID: o.requestId ?? `req-${hex}`,
      eventID: `0000eeee-bbbb-4ccc-8ddd-${hex}`,
      readOnly: true,
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: o.recipient,
      eventCategory: "Management",
      tlsDetails: { clientProvidedHostHeader: "sts.eu-west-1.amazonaws.com" },
    };
    if (o.error) {
      r.errorCode = o.error;
      r.errorMessage = "message";
    }
    if (o.vpce) r.vpcEndpointId = o.vpce;
    return r;
  };
  const user = {
    type: "IAMUser",
    principalId: "AIDAEDGECASEUSER0001",
    arn: `arn:aws:iam::${CALLER}:user/edge`,
    accountId: CALLER,
    accessKeyId: "AKIAEDGECASEUSER0001",
    userName: "edge",
  };
  const asAccount = { type: "AWSAccount", principalId: "AIDAEDGECASEUSER0001", accountId: CALLER };
  let r: TrustCheckResult;

  beforeAll(async () => {
    const root = join(dir, "edge");
    const evidence = join(root, "evidence");
    const { mkdirSync, writeFileSync } = await import("node:fs");
    mkdirSync(evidence, { recursive: true });
    const records = [
      // Two copies without sharedEventID: joined by their request id.
      event({ role: "partner", identity: user, recipient: CALLER, requestId: "same-request" }),
      event({ role: "partner", identity: asAccount, recipient: OWNER, requestId: "same-request" }),
      // Through a VPC endpoint: no source IP, the endpoint is known.
      event({ role: "vpce-only", identity: asAccount, recipient: OWNER, vpce: "vpce-0abc" }),
      event({ role: "vpce-only", identity: asAccount, recipient: OWNER }),
      // Failed for another reason than access.
      event({ role: "partner", identity: user, recipient: CALLER, error: "ExpiredTokenException" }),
      // No requestParameters: the role is not named.
      event({ role: "partner", identity: user, recipient: CALLER, request: null }),
      // A role no snapshot holds.
      event({ role: "ghost", identity: user, recipient: CALLER }),
      // A refused SAML call: no response, so SAML:aud is unknown.
      event({
        role: "saml",
        eventName: "AssumeRoleWithSAML",
        identity: { type: "SAMLUser", principalId: "x:bob", userName: "bob" },
        recipient: OWNER,
        request: {
          roleArn: `arn:aws:iam::${OWNER}:role/saml`,
          principalArn: `arn:aws:iam::${OWNER}:saml-provider/Okta`,
        },
        error: "AccessDenied",
      }),
    ];
    writeFileSync(join(evidence, "edge.json"), JSON.stringify({ Records: records }));
    const iam = (name: string, doc: unknown) => {
      const p = join(root, `${name}.json`);
      writeFileSync(p, JSON.stringify(doc));
      return p;
    };
    const db = join(root, "case.duckdb");
    await ingest({ inputs: [evidence], db, workers: 1 });
    const c = await openCase(db, { writable: true });
    try {
      await loadIamSnapshots(c, [
        iam(
          "partner",
          role("partner", {
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${CALLER}:user/edge` },
            Action: "sts:AssumeRole",
          }),
        ),
        iam(
          "vpce-only",
          role("vpce-only", {
            Effect: "Allow",
            Principal: { AWS: CALLER },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceVpce": "vpce-0abc" } },
          }),
        ),
        iam(
          "saml",
          role("saml", {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${OWNER}:saml-provider/Okta` },
            Action: "sts:AssumeRoleWithSAML",
            Condition: { StringEquals: { "SAML:aud": "https://signin.aws.amazon.com/saml" } },
          }),
        ),
      ]);
      r = await trustCheck(c);
    } finally {
      c.close();
    }
  });

  const byRole = (name: string) => r.rows.filter((x) => x.role_arn?.endsWith(`:role/${name}`));

  it("should join copies by request id when they share no sharedEventID", () => {
    const joined = byRole("partner").filter((x) => x.event_ids.length === 2);
    expect(joined.length).toBe(1);
    expect(joined[0]!.caller_source).toBe("joined");
    expect(joined[0]!.caller_arn).toBe(user.arn);
    expect(joined[0]!.decision).toBe("allow");
  });

  it("should know the VPC endpoint and the absence of a source IP", () => {
    const [through, direct] = byRole("vpce-only");
    expect(through!.decision).toBe("allow");
    expect(direct!.decision).toBe("implicit-deny");
    expect(direct!.explanation).toContain("aws:SourceVpce");
  });

  it("should separate failures from refusals, and say what it cannot check", () => {
    const failed = r.rows.find((x) => x.error_code === "ExpiredTokenException")!;
    expect(failed.verdict).toBe("failed");
    expect(failed.outcome).toBe("failed");
    const unnamed = r.rows.find((x) => x.role_arn === null)!;
    expect(unnamed.verdict).toBe("role-not-in-snapshot");
    expect(unnamed.explanation).toContain("does not name the role");
    const ghost = byRole("ghost")[0]!;
    expect(ghost.verdict).toBe("role-not-in-snapshot");
    expect(ghost.explanation).toContain(OWNER);
  });

  it("should leave SAML claims of a refused call unknown", () => {
    const saml = byRole("saml")[0]!;
    expect(saml.decision).toBe("undetermined");
    expect(saml.unknown_keys).toEqual(["SAML:aud"]);
    expect(saml.outcome).toBe("denied");
  });
});
