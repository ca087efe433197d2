/**
 * The trust check decides each distinct request once (`DecisionCache`): a call whose request the
 * engine sees as one already decided gets that decision. These tests prove the cache changes no
 * answer: every call of the sample case and of a generated bench case, decided with and without
 * it, gives the same row (explanation included), and so does every STS call of the sample against
 * the region-lock SCP (as `stsOutsideRegions` asks); and, on the engine alone, requests that differ
 * only in keys a policy does not read share a decision while any difference in what it reads
 * (a condition key, a policy variable, the principal, the action or resource) is decided anew.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectAssumptions } from "../src/iam/assumptions.js";
import { engineWorkload } from "../src/iam/bench.js";
import {
  DecisionCache,
  evaluatePolicy,
  keysRead,
  parsePolicy,
  wouldDeny,
  type RequestContext,
} from "../src/iam/policy/index.js";
import { decideCall, trustContext } from "../src/iam/trust.js";
import { ingest, loadIamSnapshots, openCase, type Case } from "../src/index.js";
import { writeBenchArchive } from "../src/sample/bench.js";
import {
  evaluateCall,
  regionLockFromPolicy,
  type LoggedStsCall,
} from "../src/query/region-lock.js";
import { outsideCallsSql } from "../src/query/sts-outside.js";
import { benchIamExports } from "../src/sample/bench-iam.js";
import { ROOT } from "./helpers/sample-case.js";

const SAMPLE = join(ROOT, "sample-data");
const SAMPLE_IAM = [
  ...["111122223333", "444455556666", "777788889999"].map((a) =>
    join(SAMPLE, "iam", `${a}-authorization-details.json`),
  ),
  join(SAMPLE, "iam", "get-role-VendorMonitoring.json"),
  join(SAMPLE, "iam", "organization.json"),
];

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "trailbook-cache-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Decides every assumption of a case twice, without and with the cache; returns the cache. */
async function expectSameDecisions(c: Case): Promise<DecisionCache> {
  const { context } = await trustContext(c);
  const { rows: calls } = await selectAssumptions(c);
  const cache = new DecisionCache({ kind: "trust" });
  const plain = calls.map((call) => decideCall(call, context));
  const cached = calls.map((call) => decideCall(call, context, cache));
  expect(cached).toEqual(plain);
  expect(cache.hits + cache.misses).toBe(plain.filter((r) => r.decision !== "no-snapshot").length);
  return cache;
}

describe("the decision cache on cases", () => {
  it("should decide every call of the sample as the engine alone does", async () => {
    const db = join(dir, "sample.duckdb");
    await ingest({ inputs: [join(SAMPLE, "evidence")], db, workers: 1 });
    const c = await openCase(db, { writable: true });
    try {
      await loadIamSnapshots(c, SAMPLE_IAM);
      const cache = await expectSameDecisions(c);
      expect(cache.misses).toBeGreaterThan(10);
      expect(cache.hits).toBeGreaterThan(0);

      // The region lock (an SCP) over every STS call of the sample, as stsOutsideRegions asks it.
      const scp = JSON.parse(
        readFileSync(join(SAMPLE, "policies", "region-lock-scp.json"), "utf8"),
      ) as unknown;
      const lock = regionLockFromPolicy(scp);
      const everywhere = regionLockFromPolicy(scp, { allowedRegions: ["eu-north-1"] });
      const locks = [lock, everywhere];
      for (const l of locks) {
        const { sql, params } = outsideCallsSql(l, {});
        const calls = (await c.sql<LoggedStsCall>(sql, params)).rows;
        expect(calls.length).toBeGreaterThan(20);
        const scpCache = new DecisionCache({ kind: "scp" });
        for (const call of calls) {
          expect(evaluateCall(l, call, {}, scpCache)).toEqual(evaluateCall(l, call));
        }
        expect(scpCache.hits).toBeGreaterThan(scpCache.misses);
      }
    } finally {
      c.close();
    }
  });

  it("should decide every call of a generated case as the engine alone does", async () => {
    const evidence = join(dir, "bench");
    await writeBenchArchive({ outDir: evidence, events: 20_000, seed: 7 });
    const files = benchIamExports().map((e) => {
      const file = join(dir, e.name);
      writeFileSync(file, JSON.stringify(e.document));
      return file;
    });
    const db = join(dir, "bench.duckdb");
    await ingest({ inputs: [evidence], db, workers: 1 });
    const c = await openCase(db, { writable: true });
    try {
      await loadIamSnapshots(c, files);
      const cache = await expectSameDecisions(c);
      // Thousands of calls, a few dozen distinct requests, every kind of decision.
      expect(cache.hits).toBeGreaterThan(1000);
      expect(cache.misses).toBeLessThan(cache.hits / 10);
      const { rows } = await selectAssumptions(c);
      const { context } = await trustContext(c);
      const decisions = new Set(rows.map((r) => decideCall(r, context, cache).decision));
      expect([...decisions].sort()).toEqual(["allow", "deny", "implicit-deny"]);
    } finally {
      c.close();
    }
  });
});

describe("the decision cache on the engine", () => {
  const policy = parsePolicy(
    {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::111122223333:root" },
          Action: "sts:AssumeRole",
          Resource: "arn:aws:iam::111122223333:role/${aws:PrincipalTag/team}-*",
          Condition: { StringEquals: { "sts:ExternalId": "${aws:username}" } },
        },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "sts:*",
          Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
        },
      ],
    },
    { kind: "trust" },
  );
  const base: RequestContext = {
    principal: {
      type: "AWS",
      arn: "arn:aws:iam::111122223333:user/ana",
      accountId: "111122223333",
    },
    action: "sts:AssumeRole",
    resource: "arn:aws:iam::111122223333:role/data-reader",
    keys: {
      "sts:ExternalId": "ana",
      "aws:username": "ana",
      "aws:PrincipalTag/team": "data",
      "aws:SourceIp": "203.0.113.9",
      "aws:CurrentTime": "2026-10-01T00:00:00Z",
    },
    unknownByDefault: true,
  };
  const variants: RequestContext[] = [
    base,
    // Keys the policy does not read: same decision.
    { ...base, keys: { ...base.keys, "aws:CurrentTime": "2026-10-02T00:00:00Z" } },
    { ...base, keys: { ...base.keys, "sts:RoleSessionName": "x" } },
    // What it reads: each decided anew.
    { ...base, keys: { ...base.keys, "sts:ExternalId": "bob" } },
    { ...base, keys: { ...base.keys, "aws:username": "bob" } },
    { ...base, keys: { ...base.keys, "aws:PrincipalTag/team": "ops" } },
    { ...base, keys: { ...base.keys, "aws:PrincipalTag/team": undefined } },
    { ...base, keys: { ...base.keys, "aws:SourceIp": "198.51.100.1" } },
    { ...base, keys: { ...base.keys, "aws:SourceIp": null } },
    { ...base, principal: { ...base.principal!, arn: "arn:aws:iam::111122223333:user/bob" } },
    { ...base, action: "sts:TagSession" },
    { ...base, resource: "arn:aws:iam::111122223333:role/ops-admin" },
    { ...base, unknownByDefault: false, keys: { "aws:SourceIp": "203.0.113.9" } },
  ];

  it("should read the condition keys and the variables a policy names", () => {
    expect(keysRead(policy)).toEqual([
      "aws:principaltag/team",
      "aws:sourceip",
      "aws:username",
      "sts:externalid",
    ]);
  });

  it("should share a decision only between requests the engine cannot tell apart", () => {
    const cache = new DecisionCache({ kind: "trust" });
    for (const r of variants) {
      expect(cache.evaluate(policy, r)).toEqual(evaluatePolicy(policy, r, { kind: "trust" }));
    }
    expect(cache.hits).toBe(2);
    expect(cache.misses).toBe(variants.length - 2);
    // Asked again, every one is a hit, with the same answer.
    for (const r of variants) {
      expect(cache.evaluate(policy, r)).toEqual(evaluatePolicy(policy, r, { kind: "trust" }));
    }
    expect(cache.hits).toBe(2 + variants.length);
  });

  it("should share an SCP's decision between callers, which an SCP does not read", () => {
    const scp = parsePolicy(
      {
        Version: "2012-10-17",
        Statement: {
          Effect: "Deny",
          Action: "sts:*",
          Resource: "*",
          Condition: { StringNotEquals: { "aws:RequestedRegion": "us-east-1" } },
        },
      },
      { kind: "scp" },
    );
    const cache = new DecisionCache({ kind: "scp" });
    const asked = [
      { ...base, keys: { "aws:RequestedRegion": "eu-west-1" } },
      {
        ...base,
        keys: { "aws:RequestedRegion": "eu-west-1" },
        principal: { type: "AWS" as const, accountId: "444455556666" },
      },
      { ...base, keys: { "aws:RequestedRegion": "us-east-1" } },
    ];
    for (const r of asked) {
      expect(wouldDeny(scp, r, { cache })).toEqual(wouldDeny(scp, r));
    }
    expect([cache.hits, cache.misses]).toEqual([1, 2]);
  });

  it("should decide the engine's benchmark workload as the engine alone does", () => {
    const { policy: p, requests } = engineWorkload();
    const cache = new DecisionCache({ kind: "trust" });
    for (const r of [...requests, ...requests]) {
      expect(cache.evaluate(p, r)).toEqual(evaluatePolicy(p, r, { kind: "trust" }));
    }
    expect(cache.misses).toBe(new Set(requests.map((r) => JSON.stringify(r))).size);
  });
});
