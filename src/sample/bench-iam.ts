/**
 * IAM exports for the bench archive (`get-account-authorization-details`, one per account), so
 * that the benchmark's trust check has trust policies to decide its ~100,000 role assumptions
 * with, as a responder's case would. Every bench AssumeRole asks for `etl-worker` in its own
 * account, made by one of five role sessions and two users; the trust policy of `etl-worker`
 * names some of them, asks for MFA of the others, and denies calls from outside two networks,
 * so the decisions differ by caller and by source address (allowed, implicitly denied, denied).
 */
import { BENCH_ACCOUNTS } from "./bench.js";
import type { JsonObject } from "./records.js";

const VERSION = "2012-10-17";
const CREATED = "2026-08-01T00:00:00Z";
const ROLES = ["app-ec2", "etl-runner", "ops-admin", "ci-deploy", "monitoring"];
const USERS = ["svc-backup", "jenkins"];

function etlWorkerTrust(account: string): JsonObject {
  const arn = (kind: string, name: string) => `arn:aws:iam::${account}:${kind}/${name}`;
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: "AllowPipelines",
        Effect: "Allow",
        Principal: {
          AWS: [arn("role", "etl-runner"), arn("role", "ci-deploy"), arn("user", "jenkins")],
        },
        Action: ["sts:AssumeRole", "sts:TagSession"],
      },
      {
        Sid: "AllowOperatorsWithMfa",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: "sts:AssumeRole",
        Condition: {
          Bool: { "aws:MultiFactorAuthPresent": "true" },
          ArnLike: { "aws:PrincipalArn": [arn("role", "ops-*"), arn("user", "svc-*")] },
        },
      },
      {
        Sid: "DenyOutsideNetworks",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "sts:*",
        // The bench's callers have addresses in 3.0.0.0-54.255.255.255: about half are outside.
        Condition: { NotIpAddress: { "aws:SourceIp": ["0.0.0.0/3", "32.0.0.0/5"] } },
      },
    ],
  };
}

function serviceTrust(service: string): JsonObject {
  return {
    Version: VERSION,
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  };
}

function id(prefix: string, account: string, name: string): string {
  // A stable, well-formed unique id from the account and the name (no randomness needed).
  let h = 0;
  for (const ch of account + name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return prefix + h.toString(36).toUpperCase().padStart(17, "Q").slice(0, 17);
}

/** One authorization-details export per bench account, with its file name. */
export function benchIamExports(): { name: string; document: JsonObject }[] {
  return BENCH_ACCOUNTS.map((account) => {
    const role = (name: string, trust: JsonObject): JsonObject => ({
      Path: "/",
      RoleName: name,
      RoleId: id("AROA", account, name),
      Arn: `arn:aws:iam::${account}:role/${name}`,
      CreateDate: CREATED,
      AssumeRolePolicyDocument: trust,
      RolePolicyList: [],
      AttachedManagedPolicies: [],
      InstanceProfileList: [],
      Tags: [],
    });
    return {
      name: `${account}-authorization-details.json`,
      document: {
        RoleDetailList: [
          role("etl-worker", etlWorkerTrust(account)),
          ...ROLES.map((name) => role(name, serviceTrust("ec2.amazonaws.com"))),
        ],
        UserDetailList: USERS.map((name) => ({
          Path: "/",
          UserName: name,
          UserId: id("AIDA", account, name),
          Arn: `arn:aws:iam::${account}:user/${name}`,
          CreateDate: CREATED,
          UserPolicyList: [],
          GroupList: [],
          AttachedManagedPolicies: [],
          Tags: [],
        })),
        GroupDetailList: [],
        Policies: [],
      },
    };
  });
}
