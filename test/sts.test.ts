/**
 * The STS-by-region investigation on a generated case whose answers are known call by call
 * (test/fixtures/sts-cases.ts): which calls are outside the allowed regions, the verdict each
 * deserves, the breakdown by region, and the controls to deploy with their check.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkFilterPattern,
  filterPatternToSql,
  matchFilterPattern,
  openCase,
  parseFilterPattern,
  QueryOptionsError,
  regionLockFromPolicy,
  stsByRegion,
  stsControls,
  stsOutsidePattern,
  stsOutsideRegions,
  type Case,
  type OutsideCallRow,
} from "../src/index.js";
import { ALLOWED, ORGANIZATION, writeStsCase, type StsCase } from "./fixtures/sts-cases.js";

const POLICIES = join(import.meta.dirname, "..", "sample-data", "policies");
const fullScp = () => readFileSync(join(POLICIES, "region-lock-scp.json"), "utf8");
const bareStatement = () => readFileSync(join(POLICIES, "sts-region-lock-statement.json"), "utf8");

let dir: string;
let fixture: StsCase;
let c: Case;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trailbook-sts-"));
  fixture = await writeStsCase(dir);
  c = await openCase(fixture.db);
});
afterAll(() => {
  c?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A record's eventTime as results print times: ISO 8601 with milliseconds, UTC. */
const iso = (t: unknown) => new Date(String(t)).toISOString();

function byName(rows: OutsideCallRow[]): Record<string, OutsideCallRow> {
  const out: Record<string, OutsideCallRow> = {};
  for (const call of fixture.calls) {
    const row = rows.find((r) => r.event_id === call.eventId);
    if (row) out[call.name] = row;
  }
  return out;
}

describe("STS calls outside the allowed regions, on a case with known answers", () => {
  it("should find every outside call and nothing else", async () => {
    const result = await stsOutsideRegions(c, { allowedRegions: ALLOWED });
    const expected = fixture.calls.filter((k) => k.outside).map((k) => k.eventId);
    expect(result.rows.map((r) => r.event_id).sort()).toEqual(expected.sort());
    // Every row carries what a responder acts on.
    for (const r of result.rows) {
      expect(r.event_time).toMatch(/^2026-10-05T10:\d{2}:00\.000Z$/);
      expect(r.event_name).toBeTruthy();
      expect(r.requested_region).not.toMatch(/^(us-east-1|us-west-2)$/);
      expect(r.explanation.length).toBeGreaterThan(20);
    }
  });

  it("should never report a global-endpoint call, wherever it was served", async () => {
    const result = await stsOutsideRegions(c, { allowedRegions: ALLOWED });
    const rows = byName(result.rows);
    expect(rows["global-served-eu-west-1"]).toBeUndefined();
    expect(rows["global-served-us-east-1"]).toBeUndefined();
    expect(rows["fips-host-inside"]).toBeUndefined();
    // ...but with us-east-1 not allowed, the global endpoint is requested outside.
    const westOnly = await stsOutsideRegions(c, { allowedRegions: ["us-west-2"] });
    const served = byName(westOnly.rows)["global-served-eu-west-1"]!;
    expect(served).toMatchObject({
      logged_region: "us-east-1",
      serving_region: "eu-west-1",
      requested_region: "us-east-1",
      endpoint_type: "global",
      tls_host: "sts.amazonaws.com",
    });
  });

  it("should read the requested region from the host when RequestDetails is missing", async () => {
    const rows = byName((await stsOutsideRegions(c, { allowedRegions: ALLOWED })).rows);
    expect(rows["host-only-outside"]).toMatchObject({
      requested_region: "eu-west-3",
      endpoint_type: "regional",
    });
    expect(rows["vpce-host-outside"]).toMatchObject({ requested_region: "eu-west-2" });
  });

  it("should give each call the verdict it deserves", async () => {
    const result = await stsOutsideRegions(c, { allowedRegions: ALLOWED });
    const rows = byName(result.rows);
    const got = Object.fromEntries(Object.entries(rows).map(([n, r]) => [n, r.verdict]));
    const want = Object.fromEntries(
      fixture.calls.filter((k) => k.outside).map((k) => [k.name, k.verdict]),
    );
    expect(got).toEqual(want);
    const counted = Object.values(result.byVerdict).reduce((a, b) => a + b, 0);
    expect(counted).toBe(result.rows.length);
    // Not deniable is never "denied", even though the statement's conditions hold.
    expect(rows["caller-identity-outside"]!.explanation).toMatch(/cannot be denied by any policy/);
    // The unknown organization of a foreign caller is named.
    expect(rows["vendor-outside"]!.undetermined_keys).toEqual(["aws:PrincipalOrgID"]);
    expect(rows["vendor-outside"]!.explanation).toMatch(/999988887777/);
    expect(result.assumptions.join(" ")).toMatch(/111122223333, 444455556666/);
  });

  it("should decide who the SCP governs from the organization when it is given", async () => {
    const result = await stsOutsideRegions(c, {
      allowedRegions: ALLOWED,
      organization: JSON.stringify(ORGANIZATION),
    });
    const got = Object.fromEntries(
      Object.entries(byName(result.rows)).map(([n, r]) => [n, r.verdict]),
    );
    const want = Object.fromEntries(
      fixture.calls
        .filter((k) => k.outside)
        .map((k) => [k.name, k.verdictWithOrganization ?? k.verdict]),
    );
    expect(got).toEqual(want);
    expect(byName(result.rows)["management-outside"]!.explanation).toMatch(/management account/);
    expect(byName(result.rows)["vendor-outside"]!.explanation).toMatch(/not in the organization/);
    expect(result.assumptions).toEqual([]);
    expect(result.organization).toMatchObject({ managementAccountId: "444455556666" });
  });

  it("should answer the same from a full SCP, a bare statement and a list of regions", async () => {
    const fromRegions = await stsOutsideRegions(c, { allowedRegions: ALLOWED });
    const full = await stsOutsideRegions(c, { policy: fullScp(), policyFile: "full.json" });
    const bare = await stsOutsideRegions(c, { policy: bareStatement() });
    expect(full.regionsFrom).toBe("policy");
    expect(full.allowedRegions).toEqual(ALLOWED);
    expect(bare.allowedRegions).toEqual(ALLOWED);
    const verdicts = (r: typeof full) => r.rows.map((x) => [x.event_id, x.verdict]);
    expect(verdicts(full)).toEqual(verdicts(fromRegions));
    expect(verdicts(bare)).toEqual(verdicts(fromRegions));
    // The full SCP's decision is explained by its own statement.
    const success = byName(full.rows)["success-outside"]!;
    expect(success.explanation).toMatch(/DenyStsOutsideAllowedRegions/);
  });

  it("should name the condition key the log cannot tell", async () => {
    const policy = {
      Effect: "Deny",
      Action: "sts:*",
      Resource: "*",
      Condition: {
        StringNotEquals: {
          "aws:RequestedRegion": ALLOWED,
          "aws:PrincipalTag/team": "security",
        },
      },
    };
    const rows = byName((await stsOutsideRegions(c, { policy })).rows);
    expect(rows["success-outside"]).toMatchObject({
      verdict: "undetermined",
      undetermined_keys: ["aws:PrincipalTag/team"],
    });
    expect(rows["success-outside"]!.explanation).toMatch(/aws:PrincipalTag\/team/);
    // What does not depend on the policy keeps its verdict.
    expect(rows["caller-identity-outside"]!.verdict).toBe("not-deniable");
    expect(rows["service-outside"]!.verdict).toBe("aws-service-not-governed");
    expect(rows["saml-outside"]!.verdict).toBe("federated-not-governed");
  });

  it("should say allowed-by-policy for a caller the policy exempts", async () => {
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Action: "sts:*",
          Resource: "*",
          Condition: {
            StringNotEquals: { "aws:RequestedRegion": ALLOWED },
            ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/Admin" },
          },
        },
      ],
    };
    const rows = byName((await stsOutsideRegions(c, { policy })).rows);
    expect(rows["session-outside"]!.verdict).toBe("allowed-by-policy");
    expect(rows["success-outside"]!.verdict).toBe("succeeded-would-be-denied");
    // The engine evaluated the session as its role, as aws:PrincipalArn holds it.
    expect(rows["session-outside"]!.explanation).toBe(
      'No Deny statement applies: statement #0: ArnNotLike aws:PrincipalArn ["arn:aws:iam::*:role/Admin"] ' +
        'is false (request: ["arn:aws:iam::111122223333:role/Admin"]).',
    );
  });

  it("should refuse what it cannot use, with the offending input", () => {
    const noRegionTest = { Effect: "Deny", Action: "sts:*", Resource: "*" };
    expect(() => regionLockFromPolicy(noRegionTest)).toThrow(
      expect.objectContaining({ code: "policy-regions-unknown" }),
    );
    // ...unless the regions are given beside it.
    expect(regionLockFromPolicy(noRegionTest, { allowedRegions: ALLOWED }).allowedRegions).toEqual(
      ALLOWED,
    );
    expect(() => regionLockFromPolicy("{not json", { file: "x.json" })).toThrow(
      /x\.json: not JSON/,
    );
    const bad = stsOutsideRegions(c, { allowedRegions: ["us-east-1", "Mars"] });
    return expect(bad).rejects.toMatchObject({ code: "value-invalid", value: "Mars" });
  });

  it("should summarise per principal what they did outside", async () => {
    const result = await stsOutsideRegions(c, { allowedRegions: ALLOWED, eventIdLimit: 2 });
    const mallory = result.principals.find((p) => p.actor.endsWith(":user/mallory"))!;
    const names = [
      "success-outside",
      "denied-outside",
      "expired-outside",
      "caller-identity-outside",
      "session-token-outside",
      "host-only-outside",
      "vpce-host-outside",
    ];
    expect(mallory.calls).toBe(names.length);
    expect(mallory.succeeded).toBe(5);
    expect(mallory.failed).toBe(2);
    expect(mallory.verdicts).toEqual({
      "succeeded-would-be-denied": 3,
      "denied-as-policy-would": 1,
      "failed-would-be-denied": 1,
      "not-deniable": 2,
    });
    expect(mallory.event_names).toEqual({
      AssumeRole: 5,
      GetCallerIdentity: 1,
      GetSessionToken: 1,
    });
    expect(mallory.event_ids).toHaveLength(2);
    expect(mallory.event_ids_omitted).toBe(names.length - 2);
    expect(mallory.first_seen).toBe(iso(fixture.byName("success-outside").record.eventTime));
    // A federated user is a principal of its own, not a nameless one.
    expect(result.principals.map((p) => p.actor)).toContain(
      "saml:Qkd5RbRrhyGTyGRRe3FP:dana@example.com",
    );
  });
});

describe("STS calls by region", () => {
  it("should show the logged region, the serving region and the endpoint type side by side", async () => {
    const { rows } = await stsByRegion(c, { groupBy: "both" });
    const global = rows.filter((r) => r.endpoint_type === "global");
    expect(global.map((r) => [r.logged_region, r.serving_region, r.calls])).toEqual([
      ["us-east-1", "eu-west-1", 1],
      ["us-east-1", "us-east-1", 1],
    ]);
    for (const r of global) expect(r.global_endpoint_calls).toBe(r.calls);
  });

  it("should group by the logged region or by the serving region", async () => {
    const logged = (await stsByRegion(c, { groupBy: "logged" })).rows;
    const usEast = logged.filter((r) => r.logged_region === "us-east-1");
    // Logged in us-east-1: the two global-endpoint calls and the regional us-east-1 call.
    expect(usEast.reduce((n, r) => n + r.calls, 0)).toBe(3);
    expect(usEast[0]!.serving_regions).toEqual(["eu-west-1", "us-east-1"]);
    expect(usEast[0]!.endpoint_types).toEqual(["global", "regional"]);
    const serving = (await stsByRegion(c, { groupBy: "serving" })).rows;
    const euWest = serving.filter((r) => r.serving_region === "eu-west-1");
    // Served in eu-west-1: the regional success, the global call, the SAML call.
    expect(euWest.reduce((n, r) => n + r.calls, 0)).toBe(3);
    expect(euWest.flatMap((r) => r.logged_regions).sort()).toContain("us-east-1");
  });

  it("should count errors by code, distinct principals and IPs, first and last seen", async () => {
    const rows = (await stsByRegion(c, { groupBy: "requested" })).rows;
    const southAsia = rows.filter((r) => r.requested_region === "ap-south-1");
    expect(southAsia).toHaveLength(1);
    expect(southAsia[0]).toMatchObject({
      event_name: "AssumeRole",
      calls: 2,
      errors: 2,
      errors_by_code: { AccessDenied: 1, ExpiredTokenException: 1 },
      principals: 1,
      source_ips: 1,
      first_seen: iso(fixture.byName("denied-outside").record.eventTime),
      last_seen: iso(fixture.byName("expired-outside").record.eventTime),
    });
    expect(southAsia[0]!.event_ids.sort()).toEqual(
      [fixture.byName("denied-outside").eventId, fixture.byName("expired-outside").eventId].sort(),
    );
    const total = rows.reduce((n, r) => n + r.calls, 0);
    expect(total).toBe(fixture.calls.length);
  });

  it("should filter by time, event name and region", async () => {
    const t = fixture.byName("caller-identity-outside").record.eventTime as string;
    const { rows, params, sql } = await stsByRegion(c, {
      from: t,
      to: new Date(Date.parse(t) + 1000),
      eventNames: ["GetCallerIdentity"],
    });
    expect(rows.map((r) => r.calls)).toEqual([1]);
    expect(sql).toContain("$f_from");
    expect(params.f_from).toBe("2026-10-05T10:03:00.000Z");
    await expect(stsByRegion(c, { from: "2026-02-31" })).rejects.toMatchObject({
      code: "time-invalid",
    });
  });
});

describe("the controls to deploy", () => {
  it("should emit an SCP with its exemptions and a note on what no policy can deny", () => {
    const controls = stsControls(ALLOWED);
    const statement = (controls.scp.Statement as Record<string, unknown>[])[0]!;
    expect(statement.Effect).toBe("Deny");
    expect(statement.NotAction).toContain("iam:*");
    expect(statement.NotAction).not.toContain("sts:*");
    expect(statement.Condition).toMatchObject({
      StringNotEquals: { "aws:RequestedRegion": ALLOWED },
    });
    expect(controls.notes.join(" ")).toMatch(/GetCallerIdentity and sts:GetSessionToken cannot/);
    expect(stsControls(["eu-west-1"]).notes.join(" ")).toMatch(/us-east-1 is not allowed/);
  });

  it("should emit an SCP that the policy engine finds denies the outside calls", async () => {
    const controls = stsControls(ALLOWED);
    const emitted = await stsOutsideRegions(c, { policy: controls.scp });
    const bare = await stsOutsideRegions(c, { allowedRegions: ALLOWED });
    expect(emitted.allowedRegions).toEqual(ALLOWED);
    expect(emitted.rows.map((r) => r.verdict)).toEqual(bare.rows.map((r) => r.verdict));
  });

  it("should emit a metric filter and an alarm as CloudFormation", () => {
    const controls = stsControls(ALLOWED);
    const resources = controls.cloudFormation.Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const types = Object.values(resources).map((r) => r.Type);
    expect(types.sort()).toEqual(["AWS::CloudWatch::Alarm", "AWS::Logs::MetricFilter"]);
    const filter = Object.values(resources).find((r) => r.Type === "AWS::Logs::MetricFilter")!;
    expect(filter.Properties.FilterPattern).toBe(controls.metricFilterPattern);
    expect(controls.metricFilterPattern).toBe(
      '{ ($.eventSource = "sts.amazonaws.com") && ($.awsRegion != "us-east-1") && ' +
        '($.awsRegion != "us-west-2") && ($.userIdentity.type != "AWSService") }',
    );
    // It is JSON a template file can hold as is.
    expect(JSON.parse(JSON.stringify(controls.cloudFormation))).toEqual(controls.cloudFormation);
  });

  it("should find the filter matches exactly the outside calls, by SQL and by records", async () => {
    const pattern = stsOutsidePattern(ALLOWED);
    const expected = fixture.calls
      .filter((k) => k.outside && k.name !== "service-outside")
      .map((k) => k.eventId)
      .sort();
    for (const evaluation of ["sql", "records"] as const) {
      const check = await checkFilterPattern(c, pattern, { allowedRegions: ALLOWED, evaluation });
      expect(check.equal, evaluation).toBe(true);
      expect(check.filterCount).toBe(expected.length);
      expect(check.queryCount).toBe(expected.length);
      expect([...check.eventIds].sort()).toEqual(expected);
    }
    const records = await checkFilterPattern(c, pattern, {
      allowedRegions: ALLOWED,
      evaluation: "records",
    });
    expect(records.recordsTested).toBe(fixture.records.length);
  });

  it("should fail the check when the pattern's logic is wrong", async () => {
    // Leaves us-west-2 out of the pattern: its calls would raise the alarm.
    const missing = await checkFilterPattern(c, stsOutsidePattern(["us-east-1"]), {
      allowedRegions: ALLOWED,
    });
    expect(missing.equal).toBe(false);
    expect(missing.onlyFilter.sort()).toEqual(
      [
        fixture.byName("regional-us-west-2").eventId,
        fixture.byName("fips-host-inside").eventId,
      ].sort(),
    );
    // `||` where `&&` belongs: every STS call matches.
    const or = await checkFilterPattern(
      c,
      '{ ($.eventSource = "sts.amazonaws.com") && (($.awsRegion != "us-east-1") || ($.awsRegion != "us-west-2")) && ($.userIdentity.type != "AWSService") }',
      { allowedRegions: ALLOWED, evaluation: "records" },
    );
    expect(or.equal).toBe(false);
    expect(or.onlyQuery).toEqual([]);
    expect(or.onlyFilter.length).toBeGreaterThan(0);
    // Forgetting the AWS service exclusion counts AWS Config's calls.
    const service = await checkFilterPattern(
      c,
      '{ ($.eventSource = "sts.amazonaws.com") && ($.awsRegion != "us-east-1") && ($.awsRegion != "us-west-2") }',
      { allowedRegions: ALLOWED },
    );
    expect(service.onlyFilter).toEqual([fixture.byName("service-outside").eventId]);
  });

  it("should interpret patterns the same way in JS and in SQL on every record", async () => {
    const patterns = [
      stsOutsidePattern(ALLOWED),
      '{ $.userIdentity.type = "IAMUser" || $.eventName = "GetCallerIdentity" }',
      '{ ($.awsRegion = "eu-*") && ($.eventName != "GetCallerIdentity") }',
      '{ $.tlsDetails.clientProvidedHostHeader = "*.vpce.amazonaws.com" }',
      '{ $.requestParameters.roleSessionName = "s" && $.eventName = AssumeRole }',
      '{ $.errorCode = "*" }',
    ];
    for (const pattern of patterns) {
      const tree = parseFilterPattern(pattern);
      const inJs = fixture.records
        .filter((r) => matchFilterPattern(tree, r))
        .map((r) => r.eventID as string)
        .sort();
      const translated = filterPatternToSql(tree);
      const view = translated.needsRecord ? "event_records" : "events";
      const inSql = await c.sql<{ event_id: string }>(
        `SELECT event_id FROM ${view} WHERE ${translated.sql} ORDER BY event_id`,
        translated.params,
      );
      expect(
        inSql.rows.map((r) => r.event_id),
        pattern,
      ).toEqual(inJs);
      expect(inJs.length, pattern).toBeGreaterThan(0);
    }
  });

  it("should refuse patterns it cannot evaluate rather than guess", () => {
    for (const bad of ["{ $.a > 1 }", '$.a = "x"', '{ $.a = "x" && }', '{ $.a[0] = "x" }', "{ }"]) {
      expect(() => parseFilterPattern(bad), bad).toThrow(QueryOptionsError);
    }
  });

  it("should refuse a pattern longer than CloudWatch Logs accepts", () => {
    const many = Array.from({ length: 40 }, (_, i) => `xx-region-${i}`);
    expect(() => stsControls(many)).toThrow(/over CloudWatch Logs' limit of 1024/);
  });
});
