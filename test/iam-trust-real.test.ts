/**
 * The trust check over the real IAM exports (cloudsplaining, cloudmapper, cloud-custodian). No
 * CloudTrail from those accounts exists, so the test writes one assumption per principal each
 * trust policy names (and one by a stranger per role), ingests them as CloudTrail, and checks
 * that every decision over real policies is explained: a statement that decided, or the keys an
 * undetermined decision depends on.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IamLoadError,
  ingest,
  loadIamSnapshots,
  openCase,
  parsePolicy,
  trustCheck,
  type Case,
  type TrustCheckResult,
} from "../src/index.js";
import { REAL_DATASETS } from "./fixtures/real-datasets.js";
import { HAVE_REAL_IAM, realIamFiles } from "./fixtures/real-iam.js";

const STRANGER = "999999999999";
let n = 0;

function record(
  roleArn: string,
  eventName: string,
  userIdentity: Record<string, unknown>,
  extra: { request?: Record<string, unknown>; response?: Record<string, unknown> } = {},
): Record<string, unknown> {
  n++;
  const roleAccount = roleArn.split(":")[4]!;
  const hex = n.toString(16).padStart(12, "0");
  return {
    eventVersion: "1.08",
    userIdentity,
    eventTime: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString().slice(0, 19) + "Z",
    eventSource: "sts.amazonaws.com",
    eventName,
    awsRegion: "us-east-1",
    sourceIPAddress: "198.51.100.20",
    userAgent: "aws-cli/2.15.0",
    requestParameters: { roleArn, roleSessionName: "trailbook-probe", ...extra.request },
    responseElements: {
      credentials: { accessKeyId: `ASIAPROBE${hex}`, expiration: "Jan 1, 2024, 1:00:00 AM" },
      assumedRoleUser: {
        assumedRoleId: `AROAPROBE:trailbook-probe`,
        arn: `arn:aws:sts::${roleAccount}:assumed-role/${roleArn.split("/").pop()}/trailbook-probe`,
      },
      ...extra.response,
    },
    requestID: `0000cccc-dddd-4eee-8fff-${hex}`,
    eventID: `0000aaaa-bbbb-4ccc-8ddd-${hex}`,
    readOnly: true,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: roleAccount,
    eventCategory: "Management",
  };
}

/** One assumption by the principal a trust entry names, as CloudTrail would log it. */
function probe(roleArn: string, kind: string, entry: string): Record<string, unknown> | null {
  const roleAccount = roleArn.split(":")[4]!;
  if (kind === "Service") {
    return record(roleArn, "AssumeRole", { type: "AWSService", invokedBy: entry });
  }
  if (kind === "Federated") {
    if (entry.includes(":saml-provider/")) {
      return record(
        roleArn,
        "AssumeRoleWithSAML",
        { type: "SAMLUser", principalId: "x:probe", userName: "probe", identityProvider: "x" },
        {
          request: { principalArn: entry },
          response: { audience: "https://signin.aws.amazon.com/saml", subject: "probe" },
        },
      );
    }
    return record(
      roleArn,
      "AssumeRoleWithWebIdentity",
      {
        type: "WebIdentityUser",
        principalId: `${entry}:sts.amazonaws.com:probe`,
        userName: "probe",
        identityProvider: entry,
      },
      {
        response: {
          provider: entry,
          audience: "sts.amazonaws.com",
          subjectFromWebIdentityToken: "probe",
        },
      },
    );
  }
  if (kind !== "AWS") return null;
  const account = /^\d+$/.test(entry) ? entry : (entry.split(":")[4] ?? roleAccount);
  if (entry === "*") {
    return record(roleArn, "AssumeRole", {
      type: "IAMUser",
      principalId: "AIDAPROBESTRANGER0001",
      arn: `arn:aws:iam::${STRANGER}:user/stranger`,
      accountId: STRANGER,
      accessKeyId: "AKIAPROBESTRANGER001",
      userName: "stranger",
    });
  }
  if (/^A[A-Z]{3}[A-Z0-9]{12,}$/.test(entry)) {
    // A deleted principal's unique id: the log shows the caller only as an account and an id.
    return record(roleArn, "AssumeRole", {
      type: "AWSAccount",
      principalId: `${entry}:probe`,
      accountId: roleAccount,
    });
  }
  const session = /^arn:aws[a-z-]*:sts::(\d+):assumed-role\/([^/]+)\/(.+)$/.exec(entry);
  if (session) {
    const [, acct, name] = session;
    return record(roleArn, "AssumeRole", {
      type: "AssumedRole",
      principalId: `AROAPROBEROLE0000002:${session[3]}`,
      arn: entry,
      accountId: acct,
      accessKeyId: "ASIAPROBEROLE0000002",
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          arn: `arn:aws:iam::${acct}:role/${name}`,
          accountId: acct,
          userName: name,
        },
        attributes: { creationDate: "2024-01-01T00:00:00Z", mfaAuthenticated: "false" },
      },
    });
  }
  if (/:role\//.test(entry)) {
    const name = entry.split("/").pop()!;
    return record(roleArn, "AssumeRole", {
      type: "AssumedRole",
      principalId: "AROAPROBEROLE0000001:probe",
      arn: `arn:aws:sts::${account}:assumed-role/${name}/probe`,
      accountId: account,
      accessKeyId: "ASIAPROBEROLE0000001",
      sessionContext: {
        sessionIssuer: { type: "Role", arn: entry, accountId: account, userName: name },
        attributes: { creationDate: "2024-01-01T00:00:00Z", mfaAuthenticated: "false" },
      },
    });
  }
  const user = /:user\//.test(entry) ? entry : `arn:aws:iam::${account}:user/trailbook-probe`;
  return record(roleArn, "AssumeRole", {
    type: "IAMUser",
    principalId: "AIDAPROBEUSER0000001",
    arn: user,
    accountId: account,
    accessKeyId: "AKIAPROBEUSER0000001",
    userName: user.split("/").pop(),
  });
}

describe.skipIf(!HAVE_REAL_IAM)("trust check over the real IAM exports", () => {
  let dir: string;
  let c: Case;
  let result: TrustCheckResult;
  let probes = 0;
  let strangers = 0;
  let ownerViews = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-trust-real-"));
    const db = join(dir, "case.duckdb");
    c = await openCase(db, { writable: true, create: true });
    const files = realIamFiles();
    for (const f of files) {
      try {
        await loadIamSnapshots(c, [f], { allowPartial: true });
      } catch (e) {
        // What is not an export (iam-load.test.ts checks which) holds no trust policy.
        if (!(e instanceof IamLoadError)) throw e;
      }
    }
    const roles = await c.sql<{ arn: string; trust_policy: string }>(
      // The version the trust check uses: the most recently loaded snapshot's.
      `SELECT arg_max(arn, snapshot_id) AS arn, arg_max(trust_policy, snapshot_id)::VARCHAR AS trust_policy
       FROM iam_roles GROUP BY account_id, lower(role_name) ORDER BY arn`,
    );
    const records: Record<string, unknown>[] = [];
    for (const role of roles.rows) {
      const policy = parsePolicy(JSON.parse(role.trust_policy), { kind: "trust" });
      for (const s of policy.statements) {
        if (s.effect !== "Allow" || !s.principal) continue;
        const entries: [string, string][] = [
          ...(s.principal.wildcard ? [["AWS", "*"] as [string, string]] : []),
          ...s.principal.aws.filter((e) => e !== "*").map((e) => ["AWS", e] as [string, string]),
          ...s.principal.service.map((e) => ["Service", e] as [string, string]),
          ...s.principal.federated.map((e) => ["Federated", e] as [string, string]),
        ];
        for (const [kind, entry] of entries) {
          const r = probe(role.arn, kind, entry);
          if (r) records.push(r);
          // The same principal as the role owner's trail shows a caller from elsewhere: only an
          // account. Whether a role or user entry matches it is then unknown.
          const account = entry.split(":")[4];
          if (kind === "AWS" && /^\d+$/.test(account ?? "") && !entry.endsWith(":root")) {
            const owner = record(role.arn, "AssumeRole", {
              type: "AWSAccount",
              principalId: "AIDAPROBEOWNERVIEW01",
              accountId: account,
            });
            (owner.requestParameters as Record<string, unknown>).roleSessionName = "owner-view";
            records.push(owner);
            ownerViews++;
          }
        }
      }
      // A stranger from an unknown account, seen as the role owner's trail shows it.
      records.push(
        record(role.arn, "AssumeRole", {
          type: "AWSAccount",
          principalId: "AIDAPROBESTRANGER0002",
          accountId: STRANGER,
        }),
      );
      strangers++;
    }
    probes = records.length;
    const evidence = join(dir, "evidence");
    mkdirSync(evidence);
    writeFileSync(join(evidence, "probes.json"), JSON.stringify({ Records: records }));
    c.close();
    await ingest({ inputs: [evidence], db, workers: 1 });
    c = await openCase(db);
    result = await trustCheck(c);
  });

  afterAll(() => {
    c?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("should decide every probe against a real trust policy and explain each decision", () => {
    expect(probes).toBeGreaterThan(150);
    expect(result.rows.length).toBe(probes);
    expect(result.byDecision["no-snapshot"]).toBe(0);
    for (const r of result.rows) {
      const where = `${r.caller} -> ${r.role_arn}`;
      expect(r.explanation.length, where).toBeGreaterThan(20);
      if (r.decision === "allow" || r.decision === "deny")
        expect(r.deciding_statements.length, where).toBeGreaterThan(0);
      if (r.decision === "undetermined") {
        expect(r.unknown_keys.length, where).toBeGreaterThan(0);
        for (const k of r.unknown_keys) expect(r.explanation, where).toContain(k);
      }
    }
    console.info(
      `trust check over the real IAM exports: ${result.snapshot.roles} roles, ${probes} probes ` +
        `(${strangers} strangers, ${ownerViews} seen as accounts): ${JSON.stringify(result.byDecision)}`,
    );
  });

  it("should let in the principals the policies name, and keep the strangers out", () => {
    const strangerRows = result.rows.filter((r) => r.caller === `account:${STRANGER}`);
    expect(strangerRows.length).toBe(strangers);
    for (const r of strangerRows) {
      // Only a trust of every principal could admit a stranger.
      if (r.decision === "allow") expect(r.broad_trust).toBe("public");
    }
    const named = result.rows.filter(
      (r) => r.caller !== `account:${STRANGER}` && r.session_name !== "owner-view",
    );
    const allowed = named.filter((r) => r.decision === "allow").length;
    // Most statements have no condition: their principals get in.
    const refused = named.filter((r) => r.decision !== "allow");
    expect(allowed / named.length, refused.map((r) => r.explanation).join("\n")).toBeGreaterThan(
      0.9,
    );
    expect(result.byDecision.allow).toBeGreaterThan(100);
  });

  it("should leave a caller known only by its account undetermined against a role or user entry", () => {
    const views = result.rows.filter((r) => r.session_name === "owner-view");
    expect(views.length).toBe(ownerViews);
    expect(views.length).toBeGreaterThan(10);
    for (const r of views) {
      // Either another entry admits the whole account, or it depends on who the caller is.
      if (r.decision !== "allow") {
        expect(r.decision).toBe("undetermined");
        expect(r.unknown_keys).toEqual(["(request principal)"]);
      }
    }
    expect(views.filter((r) => r.decision === "undetermined").length).toBeGreaterThan(0);
  });
});

describe.skipIf(HAVE_REAL_IAM)("trust check over the real IAM exports (absent)", () => {
  it("is skipped", () => {
    console.warn(`skipped: no real IAM exports under ${REAL_DATASETS}`);
  });
});
