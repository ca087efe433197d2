/**
 * The trust audit's questions, each timed once on a warm connection, for the benchmark; and the
 * policy engine alone, on a typical trust policy.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openCase } from "../query/case.js";
import { benchIamExports } from "../sample/bench-iam.js";
import { trustCheck } from "./check.js";
import { loadIamSnapshots } from "./load.js";
import { evaluatePolicy, parsePolicy, type Policy, type RequestContext } from "./policy/index.js";

/**
 * Times `trustCheck` over a bench case (a warm-up run, then the timed run), with the bench's IAM
 * exports loaded first (`benchIamExports`; a file already loaded is recognised by its hash), so
 * that every assumption is decided by the policy engine as in a responder's case.
 */
export async function benchTrust(
  casePath: string,
): Promise<{ name: string; ms: number; rows: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), "trailbook-bench-iam-"));
  try {
    const files = benchIamExports().map((e) => {
      const file = join(dir, e.name);
      writeFileSync(file, JSON.stringify(e.document));
      return file;
    });
    const w = await openCase(casePath, { writable: true });
    try {
      await loadIamSnapshots(w, files);
    } finally {
      w.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const c = await openCase(casePath);
  try {
    await trustCheck(c);
    const start = performance.now();
    const r = await trustCheck(c);
    const ms = Math.round((performance.now() - start) * 10) / 10;
    return [
      { name: "trust check (all assumptions, bench trust policies)", ms, rows: r.rows.length },
    ];
  } finally {
    c.close();
  }
}

/**
 * One trust policy with conditions (an account and a role trusted, external id and MFA required,
 * a Deny outside a network) and 100 distinct requests, half of which it allows: the engine's
 * workload for the benchmark, and what the policy tests run to check that the engine's caches
 * decide the same request the same way every time.
 */
export function engineWorkload(): { policy: Policy; requests: RequestContext[] } {
  const account = "111122223333";
  const policy = parsePolicy(
    {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: {
            AWS: [`arn:aws:iam::${account}:root`, `arn:aws:iam::${account}:role/ops/Deployer`],
          },
          Action: ["sts:AssumeRole", "sts:TagSession"],
          Condition: {
            StringEquals: { "sts:ExternalId": "x-1" },
            Bool: { "aws:MultiFactorAuthPresent": "true" },
          },
        },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "sts:*",
          Condition: { NotIpAddress: { "aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"] } },
        },
      ],
    },
    { kind: "trust" },
  );
  const requests: RequestContext[] = [];
  for (let i = 0; i < 100; i++) {
    requests.push({
      principal: {
        type: "AWS",
        arn: `arn:aws:sts::${account}:assumed-role/Deployer/s${i}`,
        accountId: account,
      },
      action: "sts:AssumeRole",
      keys: {
        "sts:ExternalId": i % 2 ? "x-1" : "no",
        "aws:MultiFactorAuthPresent": true,
        "aws:SourceIp": `203.0.113.${i}`,
      },
    });
  }
  return { policy, requests };
}

/** Evaluates the {@link engineWorkload} `evaluations` times, round robin; counts the allows. */
export function benchEngine(evaluations = 100_000): {
  evaluations: number;
  allowed: number;
  ms: number;
} {
  const { policy, requests } = engineWorkload();
  let allowed = 0;
  const start = performance.now();
  for (let i = 0; i < evaluations; i++) {
    if (evaluatePolicy(policy, requests[i % requests.length]!).decision === "allow") allowed++;
  }
  return { evaluations, allowed, ms: Math.round((performance.now() - start) * 10) / 10 };
}
