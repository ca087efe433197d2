/**
 * The `actor` key: computed once at load for every identity type (SAML and web-identity callers
 * included), the one key the timeline, the STS summaries, the trust check and the baseline use,
 * and restored by the upgrade of a case file an older trailbook wrote.
 *
 * Evidence is written at test time into real files, loaded into real DuckDB case files.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  actorLabel,
  CaseDatabase,
  CaseFileError,
  decideAssumptions,
  ingest,
  openCase,
  runBaseline,
  SCHEMA_VERSION,
  stsByRegion,
  stsOutsideRegions,
  timeline,
  type BaselineResult,
  type Case,
  type TrustCheckRow,
} from "../src/index.js";
import { cloudTrailEvent, logFile } from "./fixtures/edge-cases.js";
import { ROOT, sampleCase, type SampleCase } from "./helpers/sample-case.js";

const ACCT = "111122223333";
const OKTA = `arn:aws:iam::${ACCT}:saml-provider/Okta`;
const GITHUB = `arn:aws:iam::${ACCT}:oidc-provider/token.actions.githubusercontent.com`;
const REPO_SUB = "repo:example-org/web:ref:refs/heads/main";

/** An STS record of a federated sign-in, with the userIdentity and response given. */
function federated(
  eventName: "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity",
  userIdentity: Record<string, unknown>,
  responseElements: Record<string, unknown> | null = null,
): Record<string, unknown> {
  return cloudTrailEvent({
    userIdentity,
    eventSource: "sts.amazonaws.com",
    eventName,
    requestParameters: { roleArn: `arn:aws:iam::${ACCT}:role/web`, roleSessionName: "s" },
    responseElements,
    readOnly: true,
  });
}

/** Each record of the fixture with the key its caller must get. */
const CASES: { name: string; record: Record<string, unknown>; actor: string | null }[] = [
  {
    // The shape AWS documents for AssumeRoleWithSAML: no ARN, no account.
    name: "SAML user",
    record: federated("AssumeRoleWithSAML", {
      type: "SAMLUser",
      principalId: "c2FtcGxlSGFzaE9mSXNzdWVy=:dana@example.com",
      userName: "dana@example.com",
      identityProvider: "c2FtcGxlSGFzaE9mSXNzdWVy=",
    }),
    actor: "saml:c2FtcGxlSGFzaE9mSXNzdWVy=:dana@example.com",
  },
  {
    name: "SAML user seen through another provider",
    record: federated("AssumeRoleWithSAML", {
      type: "SAMLUser",
      principalId: "b3RoZXJJZHBIYXNo=:dana@example.com",
      userName: "dana@example.com",
      identityProvider: "b3RoZXJJZHBIYXNo=",
    }),
    actor: "saml:b3RoZXJJZHBIYXNo=:dana@example.com",
  },
  {
    // The shape AWS documents for a web identity from Google.
    name: "web identity (Google)",
    record: federated("AssumeRoleWithWebIdentity", {
      type: "WebIdentityUser",
      principalId: "accounts.google.com:1234.apps.googleusercontent.com:10987654321",
      userName: "10987654321",
      identityProvider: "accounts.google.com",
    }),
    actor: "web-identity:accounts.google.com:1234.apps.googleusercontent.com:10987654321",
  },
  {
    // An IAM OIDC provider (GitHub Actions), as the sample generator writes it.
    name: "web identity (IAM OIDC provider)",
    record: federated("AssumeRoleWithWebIdentity", {
      type: "WebIdentityUser",
      principalId: `${GITHUB}:sts.amazonaws.com:${REPO_SUB}`,
      userName: REPO_SUB,
      identityProvider: GITHUB,
    }),
    actor: `web-identity:${GITHUB}:sts.amazonaws.com:${REPO_SUB}`,
  },
  {
    name: "SAML user without a principal id",
    record: federated("AssumeRoleWithSAML", {
      type: "SAMLUser",
      userName: "erin@example.com",
      identityProvider: "c2FtcGxlSGFzaE9mSXNzdWVy=",
    }),
    actor: "saml:c2FtcGxlSGFzaE9mSXNzdWVy=:erin@example.com",
  },
  {
    name: "web identity with only its type: provider and subject from the response",
    record: federated(
      "AssumeRoleWithWebIdentity",
      { type: "WebIdentityUser" },
      { provider: GITHUB, subjectFromWebIdentityToken: REPO_SUB, audience: "sts.amazonaws.com" },
    ),
    actor: `web-identity:${GITHUB}:${REPO_SUB}`,
  },
  {
    name: "assumed-role session",
    record: cloudTrailEvent(),
    actor: `arn:aws:iam::${ACCT}:role/Admin`,
  },
  {
    name: "IAM user",
    record: cloudTrailEvent({
      userIdentity: {
        type: "IAMUser",
        principalId: "AIDAEXAMPLEUSER00001",
        arn: `arn:aws:iam::${ACCT}:user/alice`,
        accountId: ACCT,
        userName: "alice",
      },
    }),
    actor: `arn:aws:iam::${ACCT}:user/alice`,
  },
  {
    name: "cross-account caller seen as an account",
    record: cloudTrailEvent({
      userIdentity: { type: "AWSAccount", principalId: "AIDAEXAMPLE", accountId: "999988887777" },
    }),
    actor: "account:999988887777",
  },
  {
    name: "AWS service",
    record: cloudTrailEvent({
      userIdentity: { type: "AWSService", invokedBy: "config.amazonaws.com" },
    }),
    actor: "service:config.amazonaws.com",
  },
  {
    name: "failed sign-in, user name hidden",
    record: cloudTrailEvent({
      userIdentity: {
        type: "IAMUser",
        accountId: ACCT,
        accessKeyId: "",
        userName: "HIDDEN_DUE_TO_SECURITY_REASONS",
      },
    }),
    actor: `iamuser:${ACCT}`,
  },
  {
    name: "unknown type named only by a principal id",
    record: cloudTrailEvent({
      userIdentity: { type: "Unknown", principalId: "9067-abcd", userName: "Victim Name" },
    }),
    actor: "unknown:9067-abcd",
  },
  {
    name: "no userIdentity at all",
    record: cloudTrailEvent({ userIdentity: undefined }),
    actor: null,
  },
];

/** Writes the fixture as one S3-style log file; returns the evidence folder. */
function writeEvidence(root: string): string {
  const dir = join(root, "evidence", `AWSLogs/${ACCT}/CloudTrail/us-east-1/2026/10/05`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${ACCT}_CloudTrail_us-east-1_20261005T0915Z_actor.json.gz`),
    gzipSync(logFile(CASES.map((c) => c.record))),
  );
  return join(root, "evidence");
}

async function actorsById(db: string): Promise<Map<string, string | null>> {
  const c = await openCase(db);
  try {
    const { rows } = await c.sql<{ event_id: string; actor: string | null }>(
      "SELECT event_id, actor FROM events ORDER BY event_id",
    );
    return new Map(rows.map((r) => [r.event_id, r.actor]));
  } finally {
    c.close();
  }
}

describe("the actor key, computed at load", () => {
  let dir: string;
  let db: string;
  let actors: Map<string, string | null>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-actor-"));
    db = join(dir, "case.duckdb");
    await ingest({ inputs: [writeEvidence(dir)], db });
    actors = await actorsById(db);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("should load every record of the fixture", () => {
    expect(actors.size).toBe(CASES.length);
  });

  it("should give SAML and web-identity callers a key from their principal id", () => {
    for (const c of CASES.filter((c) => /SAML|web identity/.test(c.name))) {
      expect(actors.get(c.record.eventID as string), c.name).toBe(c.actor);
    }
    // One subject through two providers is two principals.
    const dana = CASES.filter((c) => c.name.startsWith("SAML user") && c.actor?.includes("dana"));
    expect(new Set(dana.map((c) => actors.get(c.record.eventID as string))).size).toBe(2);
  });

  it("should give every other identity type the key the schema documents", () => {
    for (const c of CASES) expect(actors.get(c.record.eventID as string), c.name).toBe(c.actor);
  });

  it("should shorten keys for display only, keeping the subject and the provider's host", () => {
    expect(actorLabel("saml:c2FtcGxlSGFzaE9mSXNzdWVy=:dana@example.com")).toBe(
      "saml:dana@example.com",
    );
    expect(actorLabel(`web-identity:${GITHUB}:sts.amazonaws.com:${REPO_SUB}`)).toBe(
      `web-identity:token.actions.githubusercontent.com:sts.amazonaws.com:${REPO_SUB}`,
    );
    expect(actorLabel(`arn:aws:iam::${ACCT}:role/Admin`)).toBe("role/Admin");
    expect(actorLabel("account:999988887777")).toBe("account:999988887777");
  });
});

/**
 * The actor as schema 1 computed it, over the stored columns: what a case file an older
 * trailbook loaded holds (NULL for SAML and web-identity callers).
 */
const SCHEMA_1_ACTOR = `CASE
    WHEN identity_type = 'AssumedRole' THEN coalesce(session_issuer_arn, principal_arn)
    WHEN identity_type = 'AWSAccount' THEN 'account:' || coalesce(account_id, principal_id)
    WHEN identity_type = 'AWSService' THEN 'service:' || coalesce(invoked_by, source_ip)
    ELSE coalesce(principal_arn,
      CASE WHEN account_id IS NOT NULL
        THEN lower(coalesce(identity_type, 'unknown')) || ':' || account_id END,
      invoked_by)
  END`;

describe("a case file written by an older trailbook (schema 1)", () => {
  let dir: string;
  let db: string;
  let fresh: Map<string, string | null>;
  let schema1: Map<string, string | null>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-actor-upgrade-"));
    db = join(dir, "case.duckdb");
    await ingest({ inputs: [writeEvidence(dir)], db });
    fresh = await actorsById(db);
    const w = await CaseDatabase.open(db);
    try {
      await w.connection.run(`UPDATE events SET actor = ${SCHEMA_1_ACTOR}`);
      await w.connection.run("UPDATE case_meta SET value = '1' WHERE key = 'schema_version'");
      const r = await w.connection.runAndReadAll("SELECT event_id, actor FROM events");
      schema1 = new Map(r.getRows().map(([id, actor]) => [String(id), actor as string | null]));
    } finally {
      w.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("should hold what schema 1 held: no key for the federated callers", () => {
    const lost = CASES.filter((c) => schema1.get(c.record.eventID as string) === null);
    expect(lost.map((c) => c.name)).toEqual([
      "SAML user",
      "SAML user seen through another provider",
      "web identity (Google)",
      "web identity (IAM OIDC provider)",
      "SAML user without a principal id",
      "web identity with only its type: provider and subject from the response",
      "unknown type named only by a principal id",
      "no userIdentity at all",
    ]);
  });

  it("should be refused read-only, saying how to upgrade it", async () => {
    const error = await openCase(db).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CaseFileError);
    expect(error).toMatchObject({ code: "case-older-schema", path: db });
    expect((error as Error).message).toMatch(/schema 1; this one reads 2.*opened for writing/);
    // The command line says the same, with the exit status of a case file it cannot open.
    const cli = spawnSync(
      process.execPath,
      [join(ROOT, "bin", "trailbook.js"), "timeline", "--db", db, "--principal", "x"],
      { encoding: "utf8" },
    );
    expect(cli.status).toBe(4);
    expect(cli.stderr).toMatch(/case-older-schema/);
  });

  it("should be upgraded in place when opened for writing, to what a fresh load holds", async () => {
    const w = await openCase(db, { writable: true });
    w.close();
    expect(await actorsById(db)).toEqual(fresh);
    const c = await openCase(db);
    try {
      const { rows } = await c.sql<{ value: string }>(
        "SELECT value FROM case_meta WHERE key = 'schema_version'",
      );
      expect(rows).toEqual([{ value: String(SCHEMA_VERSION) }]);
    } finally {
      c.close();
    }
  });
});

describe("one key for a federated caller across the layers (sample data)", () => {
  let sample: SampleCase;
  let c: Case;
  let baseline: BaselineResult;
  let trust: TrustCheckRow[];

  /** The sample's original records of one federated caller, by its user name. */
  const recordsOf = (type: string, userName: string) =>
    sample.records.filter(
      (r) => r.userIdentity?.type === type && r.userIdentity?.userName === userName,
    );
  const ids = (records: Record<string, any>[]) => records.map((r) => r.eventID as string).sort();

  beforeAll(async () => {
    sample = await sampleCase("actor-layers");
    c = await openCase(sample.db);
    const expected = JSON.parse(readFileSync(join(ROOT, "sample-data", "expected.json"), "utf8"));
    baseline = await runBaseline(c, { detectFrom: expected.window.detection.start as string });
    trust = (await decideAssumptions(c)).rows;
  });
  afterAll(() => {
    c?.close();
    sample?.cleanup();
  });

  it("should take the SAML user's key from a baseline finding into the other layers", async () => {
    const carol = recordsOf("SAMLUser", "carol.diaz@example.com");
    expect(carol.length).toBeGreaterThan(10);
    const principalIds = new Set(carol.map((r) => r.userIdentity.principalId as string));
    expect(principalIds.size).toBe(1);
    const key = `saml:${[...principalIds][0]}`;

    // The baseline: the planted 03:00 sign-in is a finding about that key.
    const finding = baseline.findings.find((f) => f.actor === key);
    expect(finding?.kind).toBe("unusual-hour");
    expect(finding!.title.startsWith("saml:carol.diaz@example.com: ")).toBe(true);

    // The timeline: the key selects every one of her sign-ins, and nothing else...
    const all = await timeline(c, { principal: finding!.actor, columns: ["event_id"] });
    expect(all.rows.map((r) => r.event_id as string).sort()).toEqual(ids(carol));
    // ...and, over the finding's own window (as notebook 02 asks it), the finding's events.
    const around = await timeline(c, {
      principal: finding!.actor,
      from: finding!.firstSeen,
      to: new Date(Date.parse(finding!.lastSeen) + 1000).toISOString(),
    });
    expect(around.rows.map((r) => r.event_id as string).sort()).toEqual(
      [...finding!.eventIds].sort(),
    );

    // The STS summaries: allowing only a region the sample never calls, every call of hers is
    // outside, summarised under the same key.
    const outside = await stsOutsideRegions(c, { allowedRegions: ["eu-north-1"] });
    const summary = outside.principals.find((p) => p.actor === key);
    expect(summary).toMatchObject({
      calls: carol.length,
      identity_types: ["SAMLUser"],
      verdicts: { "federated-not-governed": carol.length },
    });
    const byRegion = await stsByRegion(c, { principals: [key] });
    expect(byRegion.rows.reduce((n, r) => n + r.calls, 0)).toBe(carol.length);

    // The trust check: the caller of her assumptions is the same key; the provider is kept.
    const carolIds = new Set(ids(carol));
    const calls = trust.filter((r) => r.event_ids.some((id) => carolIds.has(id)));
    expect(calls.length).toBe(carol.length);
    for (const r of calls) {
      expect(r.caller).toBe(key);
      expect(r.caller_kind).toBe("saml");
      expect(r.caller_provider).toBe(
        carol.find((x) => x.eventID === r.event_ids[0])!.requestParameters.principalArn,
      );
    }
  });

  it("should do the same for the web-identity caller, from the trust check's key", async () => {
    const deploys = recordsOf(
      "WebIdentityUser",
      "repo:example-org/orders-service:ref:refs/heads/main",
    );
    expect(deploys.length).toBeGreaterThan(10);
    const key = `web-identity:${deploys[0]!.userIdentity.principalId}`;
    const deployIds = ids(deploys);
    const calls = trust.filter((r) => r.event_ids.some((id) => deployIds.includes(id)));
    expect(new Set(calls.map((r) => r.caller))).toEqual(new Set([key]));
    expect(new Set(calls.map((r) => r.caller_provider))).toEqual(
      new Set([deploys[0]!.userIdentity.identityProvider]),
    );

    const t = await timeline(c, { principal: calls[0]!.caller, columns: ["event_id"] });
    expect(t.rows.map((r) => r.event_id as string).sort()).toEqual(deployIds);
    const outside = await stsOutsideRegions(c, { allowedRegions: ["eu-north-1"] });
    expect(outside.principals.find((p) => p.actor === key)?.calls).toBe(deploys.length);
    // The baseline scopes it under the same key (with the case's principals filter).
    const scoped = await runBaseline(c, {
      detectFrom: baseline.windows.detection.from,
      principals: [key],
    });
    expect(scoped.counts.actors).toBe(1);
    const { from, to } = baseline.windows.detection;
    const inDetection = (r: Record<string, any>) =>
      Date.parse(r.eventTime) >= Date.parse(from) && Date.parse(r.eventTime) < Date.parse(to);
    expect(scoped.counts.detectionEvents).toBe(deploys.filter(inDetection).length);
    expect(scoped.counts.detectionEvents).toBeGreaterThan(0);
  });

  it("should leave no event of the sample without a key", async () => {
    const { rows } = await c.sql<{ n: number }>(
      "SELECT count(*)::INTEGER AS n FROM events WHERE actor IS NULL",
    );
    expect(rows[0]!.n).toBe(0);
    expect(baseline.counts.unattributedEvents).toBe(0);
  });
});
