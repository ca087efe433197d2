import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { benchEngine } from "../src/iam/bench.js";
import {
  PolicyError,
  evaluatePolicies,
  evaluatePolicy,
  parsePolicy,
  summarizeConditionKeys,
  wouldDeny,
  type DecisionKind,
  type PolicyKind,
  type PrincipalRef,
  type RequestContext,
} from "../src/iam/policy/index.js";
import { REAL_DATASETS } from "./fixtures/real-datasets.js";
import {
  ACCT,
  ROLE_ARN,
  roleCaller,
  sessionCaller,
  CASES,
  BASE_REQUEST,
  trust,
} from "./fixtures/policy-cases.js";

describe("IAM policy evaluation: the documented cases", () => {
  it("has a large table", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
  });

  it.each(CASES.map((k) => [`${k.name} -> ${k.expect} (${k.why})`, k] as const))(
    "%s",
    (_label, k) => {
      const kind = k.kind ?? "trust";
      const policy = parsePolicy(k.policy, { kind });
      const request: RequestContext = { ...BASE_REQUEST, ...k.request };
      if (k.kind === "identity") delete request.principal;
      const decision = evaluatePolicy(policy, request);
      expect(decision.decision, decision.explanation).toBe(k.expect);
      expect(decision.explanation.length).toBeGreaterThan(10);
      if (k.expect === "undetermined") expect(decision.unknownKeys.length).toBeGreaterThan(0);
      else if (k.expect === "allow" || k.expect === "deny")
        expect(decision.decidingStatements.length).toBeGreaterThan(0);
      if (k.unknownKeys) expect(decision.unknownKeys).toEqual(k.unknownKeys);
    },
  );
});

describe("IAM policy evaluation: decisions and explanations", () => {
  it("should name the deciding statement and the delegated account", () => {
    const policy = parsePolicy(trust({ AWS: `arn:aws:iam::${ACCT}:root` }), { kind: "trust" });
    const d = evaluatePolicy(policy, { ...BASE_REQUEST, principal: sessionCaller });
    expect(d.decidingStatements).toEqual([0]);
    expect(d.delegatesToAccount).toEqual([ACCT]);
    expect(d.explanation).toContain("identity policies");
  });

  it("should trace each condition with its request value and result", () => {
    const policy = parsePolicy(
      {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "Ext",
            Effect: "Allow",
            Principal: "*",
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": ["a", "b"] } },
          },
        ],
      },
      { kind: "trust" },
    );
    const d = evaluatePolicy(policy, { ...BASE_REQUEST, keys: { "sts:ExternalId": "c" } });
    const trace = d.statements[0]!;
    expect(trace.sid).toBe("Ext");
    expect(trace.conditions).toEqual([
      {
        field: "Statement[0].Condition.StringEquals.sts:ExternalId",
        operator: "StringEquals",
        key: "sts:ExternalId",
        context: ["c"],
        values: ["a", "b"],
        result: false,
        unknownKeys: [],
      },
    ]);
    expect(d.explanation).toContain('statement "Ext"');
    expect(d.explanation).toContain("sts:ExternalId");
  });

  it("should keep an unknown Deny visible when nothing allows", () => {
    const policy = parsePolicy(
      {
        Version: "2012-10-17",
        Statement: {
          Effect: "Deny",
          Principal: "*",
          Action: "sts:*",
          Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc" } },
        },
      },
      { kind: "trust" },
    );
    const d = evaluatePolicy(policy, BASE_REQUEST);
    expect(d.decision).toBe("implicit-deny");
    expect(d.allowed).toBe(false);
    expect(d.explicitDeny).toBe("unknown");
    expect(d.unknownKeys).toEqual(["aws:PrincipalOrgID"]);
  });

  it("should let an explicit Deny in one policy beat an Allow in another", () => {
    const allow = parsePolicy({
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Action: "*", Resource: "*" },
    });
    const deny = parsePolicy({
      Version: "2012-10-17",
      Statement: { Effect: "Deny", Action: "iam:*", Resource: "*" },
    });
    const req: RequestContext = { action: "iam:CreateUser", resource: "*", keys: {} };
    const d = evaluatePolicies([allow, deny], req, { kind: "identity" });
    expect(d.decision).toBe("deny");
    expect(d.statements[d.decidingStatements[0]!]!.policy).toBe(1);
    expect(d.explanation).toContain("policy 1");
    expect(
      evaluatePolicies([allow, deny], { ...req, action: "s3:ListBucket" }, { kind: "identity" })
        .decision,
    ).toBe("allow");
    expect(
      evaluatePolicies([deny], { ...req, action: "s3:ListBucket" }, { kind: "identity" }).decision,
    ).toBe("implicit-deny");
  });

  // Speed is measured by the benchmark (benchTrust, benchEngine), not here: a shared machine
  // makes timed unit tests flaky. This checks that 100k evaluations of the engine's benchmark
  // workload through the caches stay right.
  it("should decide 100k trust-policy requests the same way every time", () => {
    const { allowed } = benchEngine(100_000);
    expect(allowed).toBe(50_000);
  });
});

describe("SCPs and condition keys", () => {
  const regionLock = parsePolicy(
    {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "RegionLock",
          Effect: "Deny",
          NotAction: ["iam:*", "organizations:*", "support:*"],
          Resource: "*",
          Condition: { StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "eu-central-1"] } },
        },
      ],
    },
    { kind: "scp" },
  );

  it("should say deny, not-denied, undetermined and not-deniable", () => {
    const req = (
      action: string,
      keys: RequestContext["keys"],
      unknownKeys?: string[],
    ): RequestContext => ({ action, keys, unknownKeys, principal: roleCaller });
    expect(
      wouldDeny(regionLock, req("sts:AssumeRole", { "aws:RequestedRegion": "us-east-1" })).verdict,
    ).toBe("deny");
    expect(
      wouldDeny(regionLock, req("sts:AssumeRole", { "aws:RequestedRegion": "eu-west-1" })).verdict,
    ).toBe("not-denied");
    expect(
      wouldDeny(regionLock, req("iam:CreateUser", { "aws:RequestedRegion": "us-east-1" })).verdict,
    ).toBe("not-denied");
    expect(wouldDeny(regionLock, req("sts:AssumeRole", {}, ["aws:RequestedRegion"])).verdict).toBe(
      "undetermined",
    );
    const probe = wouldDeny(
      regionLock,
      req("sts:GetCallerIdentity", { "aws:RequestedRegion": "ap-south-1" }),
    );
    expect(probe.verdict).toBe("not-deniable");
    expect(probe.decision.decision).toBe("deny");
  });

  it("should deny what an allow-list SCP does not allow only when asked to", () => {
    const allowList = parsePolicy(
      {
        Version: "2012-10-17",
        Statement: { Effect: "Allow", Action: ["s3:*", "sts:*"], Resource: "*" },
      },
      { kind: "scp" },
    );
    const req: RequestContext = { action: "ec2:RunInstances", resource: "*", keys: {} };
    expect(wouldDeny(allowList, req).verdict).toBe("not-denied");
    expect(wouldDeny(allowList, req, { implicitDeny: true }).verdict).toBe("deny");
    expect(
      wouldDeny([allowList], { ...req, action: "s3:GetObject" }, { implicitDeny: true }).verdict,
    ).toBe("not-denied");
  });

  it("should list the condition keys and variables a policy uses", () => {
    const policy = parsePolicy({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "s3:*",
          Resource: "arn:aws:s3:::home/${aws:username}/*",
          Condition: {
            StringEquals: {
              "aws:RequestedRegion": "eu-west-1",
              "s3:prefix": "${aws:PrincipalTag/team}",
            },
          },
        },
        {
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: {
            BoolIfExists: { "aws:MultiFactorAuthPresent": "false" },
            StringNotEquals: { "AWS:RequestedRegion": "eu-west-1" },
          },
        },
      ],
    });
    const s = summarizeConditionKeys(policy);
    expect(s.keys).toEqual(["aws:RequestedRegion", "s3:prefix", "aws:MultiFactorAuthPresent"]);
    expect(s.variables).toEqual(["aws:PrincipalTag/team", "aws:username"]);
    expect(s.byOperator.BoolIfExists).toEqual(["aws:MultiFactorAuthPresent"]);
  });
});

describe("policy documents", () => {
  const errorCases: {
    name: string;
    input: unknown;
    kind?: PolicyKind;
    code: string;
    field: string;
  }[] = [
    { name: "text that is not JSON", input: "not a policy", code: "not-json", field: "(policy)" },
    {
      name: "URL-encoded text that is not JSON",
      input: "%7Bbad",
      code: "not-json",
      field: "(policy)",
    },
    { name: "broken URL encoding", input: "%E0%A4%A", code: "not-url-encoded", field: "(policy)" },
    { name: "an array", input: [], code: "not-an-object", field: "(policy)" },
    {
      name: "a lower-case effect",
      input: { Statement: { Effect: "allow", Action: "*" } },
      code: "effect-invalid",
      field: "Statement.Effect",
    },
    {
      name: "no Action",
      input: { Statement: [{ Effect: "Allow", Resource: "*" }] },
      code: "action-missing",
      field: "Statement[0].Action",
    },
    {
      name: "Action and NotAction",
      input: { Statement: [{ Effect: "Allow", Action: "*", NotAction: "iam:*" }] },
      code: "element-conflict",
      field: "Statement[0].NotAction",
    },
    {
      name: "an unknown principal type",
      input: { Statement: [{ Effect: "Allow", Principal: { User: "x" }, Action: "*" }] },
      code: "principal-invalid",
      field: "Statement[0].Principal.User",
    },
    {
      name: "a principal ARN as a bare string",
      input: { Statement: [{ Effect: "Allow", Principal: ROLE_ARN, Action: "*" }] },
      code: "principal-invalid",
      field: "Statement[0].Principal",
    },
    {
      name: "an unknown operator",
      input: {
        Statement: [{ Effect: "Allow", Action: "*", Condition: { StringEqualz: { a: "b" } } }],
      },
      code: "condition-operator-unknown",
      field: "Statement[0].Condition.StringEqualz",
    },
    {
      name: "NullIfExists",
      input: {
        Statement: [{ Effect: "Allow", Action: "*", Condition: { NullIfExists: { a: "true" } } }],
      },
      code: "condition-operator-unknown",
      field: "Statement[0].Condition.NullIfExists",
    },
    {
      name: "a null condition value",
      input: {
        Statement: [{ Effect: "Allow", Action: "*", Condition: { StringEquals: { a: null } } }],
      },
      code: "condition-invalid",
      field: "Statement[0].Condition.StringEquals.a",
    },
    {
      name: "a number as Action",
      input: { Statement: [{ Effect: "Allow", Action: 5 }] },
      code: "value-invalid",
      field: "Statement[0].Action",
    },
    {
      name: "a trust statement without Principal",
      input: { Statement: [{ Effect: "Allow", Action: "sts:AssumeRole" }] },
      kind: "trust",
      code: "principal-missing",
      field: "Statement[0].Principal",
    },
    {
      name: "a statement that is a string",
      input: { Statement: ["Allow everything"] },
      code: "statement-invalid",
      field: "Statement[0]",
    },
  ];

  it.each(errorCases.map((e) => [e.name, e] as const))("should reject %s with a code", (_n, e) => {
    let caught: unknown;
    try {
      parsePolicy(e.input, { file: "roles.json", kind: e.kind });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    const err = caught as PolicyError;
    expect(err.code).toBe(e.code);
    expect(err.field).toBe(e.field);
    expect(err.file).toBe("roles.json");
    expect(err.message).toContain("roles.json");
  });

  it("should prefix fields with the field the document came from", () => {
    expect(() =>
      parsePolicy(
        { Statement: { Effect: "Maybe", Action: "*" } },
        { field: "RoleDetailList[3].AssumeRolePolicyDocument" },
      ),
    ).toThrow(
      expect.objectContaining({
        field: "RoleDetailList[3].AssumeRolePolicyDocument.Statement.Effect",
      }),
    );
  });

  it("should normalise single values, single statements and Principal *", () => {
    const a = parsePolicy({
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Principal: "*", Action: "STS:AssumeRole" },
    });
    const b = parsePolicy({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: ["*"] }, Action: ["sts:assumerole"] }],
    });
    expect(a.statements[0]!.principal!.wildcard).toBe(true);
    expect(b.statements[0]!.principal!.wildcard).toBe(true);
    expect(a.statements[0]!.action!.map((t) => t.raw)).toEqual(["sts:assumerole"]);
    expect(b.statements[0]!.action!.map((t) => t.raw)).toEqual(["sts:assumerole"]);
  });

  it("should keep odd but harmless documents as warnings", () => {
    const empty = parsePolicy({ Version: "2012-10-17" }, { kind: "trust" });
    expect(empty.statements).toEqual([]);
    expect(empty.warnings.map((w) => w.code)).toEqual(["statement-missing"]);
    expect(evaluatePolicy(empty, BASE_REQUEST).decision).toBe("implicit-deny");
    const odd = parsePolicy(
      {
        Version: "2012-10-17",
        Statement: { Effect: "Allow", Principal: "*", Action: "*", Resource: "*", Comment: "x" },
      },
      { kind: "identity" },
    );
    expect(odd.warnings.map((w) => w.code)).toEqual(["element-unknown", "principal-ignored"]);
  });
});

// ---- the real IAM exports ----------------------------------------------------------------------

const REAL = REAL_DATASETS;

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, keep, out);
    else if (keep(path)) out.push(path);
  }
  return out;
}

interface FoundDocument {
  file: string;
  field: string;
  kind: PolicyKind;
  document: unknown;
  /** The role the trust policy belongs to, when it is one. */
  roleArn?: string;
}

/** Every policy document in an IAM export, with the JSON path it sits at. */
function findDocuments(file: string, value: unknown, path: string, out: FoundDocument[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => findDocuments(file, v, `${path}[${i}]`, out));
    return;
  }
  if (value === null || typeof value !== "object") return;
  const obj = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(obj)) {
    const field = path ? `${path}.${key}` : key;
    if (key === "AssumeRolePolicyDocument") {
      out.push({
        file,
        field,
        kind: "trust",
        document: v,
        roleArn: typeof obj.Arn === "string" ? obj.Arn : undefined,
      });
    } else if (
      (key === "PolicyDocument" || key === "Document") &&
      v !== null &&
      typeof v === "object"
    ) {
      out.push({ file, field, kind: "identity", document: v });
    } else findDocuments(file, v, field, out);
  }
}

describe("the real IAM exports", () => {
  const files = [
    ...walk(join(REAL, "salesforce_cloudsplaining"), (p) => p.endsWith(".json")),
    ...walk(join(REAL, "duo-labs_cloudmapper", "account-data"), (p) => !p.endsWith("SHA256SUMS")),
    ...walk(join(REAL, "cloud-custodian_cloud-custodian"), (p) =>
      /iam\.(GetRole|ListRoles)_[^/]*\.json$/.test(p),
    ),
  ];

  it.skipIf(files.length === 0)(
    "should parse every policy and evaluate a same-account AssumeRole against each trust policy",
    () => {
      const docs: FoundDocument[] = [];
      for (const file of files) {
        let data: unknown;
        try {
          data = JSON.parse(readFileSync(file, "utf8"));
        } catch {
          continue; // not a JSON file (cloudmapper keeps a few non-IAM files beside the exports)
        }
        findDocuments(file, data, "", docs);
      }
      const nulls = docs.filter((d) => d.document === null || d.document === undefined);
      const real = docs.filter((d) => d.document !== null && d.document !== undefined);
      const counts: Record<string, number> = {};
      let encoded = 0;
      for (const d of real) {
        if (typeof d.document === "string") encoded++;
        const policy = parsePolicy(d.document, { file: d.file, field: d.field, kind: d.kind });
        expect(policy.statements.length + policy.warnings.length).toBeGreaterThan(0);
        if (d.kind !== "trust") continue;
        const account = d.roleArn?.split(":")[4] ?? ACCT;
        const decision = evaluatePolicy(policy, {
          principal: {
            type: "AWS",
            arn: `arn:aws:iam::${account}:role/trailbook-probe`,
            accountId: account,
            id: "AROAEXAMPLEPROBEID001",
          },
          action: "sts:AssumeRole",
          resource: d.roleArn,
          keys: {},
        });
        counts[decision.decision] = (counts[decision.decision] ?? 0) + 1;
        expect(decision.explanation.length, d.field).toBeGreaterThan(10);
        if (decision.decision === "undetermined")
          expect(decision.unknownKeys.length).toBeGreaterThan(0);
        if (decision.decision === "allow" || decision.decision === "deny")
          expect(decision.decidingStatements.length).toBeGreaterThan(0);
      }
      const trusts = real.filter((d) => d.kind === "trust").length;
      console.info(
        `real IAM exports: ${files.length} files, ${real.length} policies (${trusts} trust, ${encoded} URL-encoded), ` +
          `${nulls.length} null documents skipped; AssumeRole decisions ${JSON.stringify(counts)}`,
      );
      expect(trusts).toBeGreaterThan(100);
      expect(encoded).toBeGreaterThan(0);
      // Service-principal trusts refuse the probe; account-root trusts admit it (delegated).
      expect(counts["implicit-deny"]).toBeGreaterThan(0);
      expect(counts.allow).toBeGreaterThan(0);
    },
  );

  it.skipIf(files.length > 0)("is skipped: the real IAM exports are absent", () => {
    console.warn(`skipped: no IAM exports under ${REAL}`);
  });
});
