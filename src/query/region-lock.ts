/**
 * A region lock as the policy engine sees it: the policy (a full document, or a bare statement
 * such as the one `--allowed-regions` stands for), the regions it allows, and the request a
 * logged STS call was, rebuilt for the engine with what the log cannot tell marked unknown.
 *
 * The evaluation itself is the IAM policy engine's (`wouldDeny`); nothing here decides a policy.
 */
import {
  parsePolicy,
  PolicyError,
  wouldDeny,
  type DecisionCache,
  type ContextValue,
  type Decision,
  type DenyVerdict,
  type Policy,
  type RequestContext,
} from "../iam/policy/index.js";
import { QueryOptionsError } from "./filters.js";

/** A region lock ready to evaluate calls against. */
export interface RegionLock {
  /** The document evaluated (a bare statement wrapped as a one-statement policy). */
  document: Record<string, unknown>;
  policy: Policy;
  /** Allowed regions as written; `*` and `?` are wildcards (from a `StringNotLike`). */
  allowedRegions: string[];
  /** Where the allowed regions came from. */
  regionsFrom: "option" | "policy";
}

// Region names, and the wildcards a StringNotLike list may use (`eu-*`).
const REGION = /^[a-z0-9*?]+(?:-[a-z0-9*?]+)*$/;

function checkRegions(regions: string[], option: string): string[] {
  if (regions.length === 0) {
    throw new QueryOptionsError("value-invalid", option, regions, `${option}: no region given`);
  }
  for (const r of regions) {
    if (!REGION.test(r)) {
      throw new QueryOptionsError(
        "value-invalid",
        option,
        r,
        `${option}: ${JSON.stringify(r)} is not a region name such as us-east-1`,
      );
    }
  }
  return [...new Set(regions)];
}

/** The bare statement a list of allowed regions stands for: deny sts:* elsewhere. */
export function regionLockStatement(allowedRegions: string[]): Record<string, unknown> {
  return {
    Effect: "Deny",
    Action: "sts:*",
    Resource: "*",
    Condition: { StringNotEquals: { "aws:RequestedRegion": [...allowedRegions] } },
  };
}

function wrap(input: unknown): Record<string, unknown> {
  if (input !== null && typeof input === "object" && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    // A bare statement ({"Effect": "Deny", ...}) is evaluated as a one-statement policy.
    if (o.Statement === undefined && o.Effect !== undefined) {
      return { Version: "2012-10-17", Statement: [o] };
    }
    return o;
  }
  return input as Record<string, unknown>;
}

/** A region lock from a list of regions: `--allowed-regions us-east-1,us-west-2`. */
export function regionLockFromRegions(allowedRegions: string[]): RegionLock {
  const regions = checkRegions(allowedRegions, "allowedRegions");
  const document = wrap(regionLockStatement(regions));
  return {
    document,
    policy: parsePolicy(document, { kind: "scp", field: "allowedRegions" }),
    allowedRegions: regions,
    regionsFrom: "option",
  };
}

/**
 * A region lock from a policy document (an object or JSON text): a full policy or a bare
 * statement. The allowed regions are `allowedRegions` when given, else read from the policy's
 * Deny statements that test `aws:RequestedRegion` with a negated string operator.
 */
export function regionLockFromPolicy(
  input: unknown,
  options: { allowedRegions?: string[]; file?: string } = {},
): RegionLock {
  let parsedInput = input;
  if (typeof input === "string") {
    try {
      parsedInput = JSON.parse(input);
    } catch (e) {
      throw new QueryOptionsError(
        "policy-invalid",
        "policy",
        options.file ?? input.slice(0, 80),
        `${options.file ?? "policy"}: not JSON: ${(e as Error).message}`,
      );
    }
  }
  const document = wrap(parsedInput);
  let policy: Policy;
  try {
    policy = parsePolicy(document, {
      kind: "scp",
      ...(options.file ? { file: options.file } : {}),
    });
  } catch (e) {
    if (e instanceof PolicyError) {
      throw new QueryOptionsError("policy-invalid", "policy", e.value, e.message);
    }
    throw e;
  }
  if (options.allowedRegions !== undefined) {
    return {
      document,
      policy,
      allowedRegions: checkRegions(options.allowedRegions, "allowedRegions"),
      regionsFrom: "option",
    };
  }
  return {
    document,
    policy,
    allowedRegions: regionsOfPolicy(policy, options.file),
    regionsFrom: "policy",
  };
}

/**
 * The regions a policy leaves open: the values of its negated `aws:RequestedRegion` tests on
 * Deny statements. Several such statements must agree; otherwise the caller says which regions
 * count as allowed.
 */
function regionsOfPolicy(policy: Policy, file?: string): string[] {
  const sets: string[][] = [];
  for (const s of policy.statements) {
    if (s.effect !== "Deny") continue;
    for (const c of s.conditions) {
      if (c.keyLower !== "aws:requestedregion") continue;
      if (c.info.family !== "String" || !c.info.negated || c.info.set) continue;
      sets.push(c.values.map((v) => v.raw).sort());
    }
  }
  const where = file ?? "the policy";
  if (sets.length === 0) {
    throw new QueryOptionsError(
      "policy-regions-unknown",
      "policy",
      file,
      `${where} has no Deny statement testing aws:RequestedRegion with StringNotEquals or ` +
        "StringNotLike: give the allowed regions as well (--allowed-regions)",
    );
  }
  const first = JSON.stringify(sets[0]);
  if (sets.some((s) => JSON.stringify(s) !== first)) {
    throw new QueryOptionsError(
      "policy-regions-unknown",
      "policy",
      file,
      `${where} tests aws:RequestedRegion against different region lists: give the allowed ` +
        "regions as well (--allowed-regions)",
    );
  }
  return checkRegions(sets[0]!, "policy aws:RequestedRegion");
}

/** What the log says about one STS call, as far as a policy can test it. */
export interface LoggedStsCall {
  event_name: string | null;
  requested_region: string;
  identity_type: string | null;
  principal_arn: string | null;
  principal_id: string | null;
  account_id: string | null;
  session_issuer_arn: string | null;
  user_name: string | null;
  source_ip: string | null;
  vpc_endpoint_id: string | null;
  mfa_authenticated: boolean | null;
  /** requestParameters.roleArn of an AssumeRole*, when logged. */
  role_arn: string | null;
}

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]+)$/i;

const PRINCIPAL_TYPE: Record<string, string> = {
  AssumedRole: "AssumedRole",
  IAMUser: "User",
  Root: "Account",
  FederatedUser: "FederatedUser",
};

/**
 * The request an STS call was. Known from the log: the action, the requested region, the
 * principal's ARN (for a session, the role that issued it, as `aws:PrincipalArn` holds), account,
 * id, the source IP (absent through a VPC endpoint), the VPC endpoint, MFA for sessions, and
 * what the caller adds in `known` (the organization id, when the responder gave it). Every other
 * key (tags, ...) is UNKNOWN, so a policy testing one is `undetermined`.
 */
export function requestOf(
  call: LoggedStsCall,
  known: Record<string, ContextValue | null> = {},
): RequestContext {
  const keys: Record<string, ContextValue | null> = {
    "aws:RequestedRegion": call.requested_region,
    "aws:PrincipalIsAWSService": call.identity_type === "AWSService",
    ...known,
  };
  const principalArn =
    call.identity_type === "AssumedRole"
      ? (call.session_issuer_arn ?? call.principal_arn)
      : call.principal_arn;
  if (principalArn) keys["aws:PrincipalArn"] = principalArn;
  if (call.account_id) keys["aws:PrincipalAccount"] = call.account_id;
  if (call.principal_id) keys["aws:userid"] = call.principal_id;
  if (call.identity_type === "IAMUser" && call.user_name) keys["aws:username"] = call.user_name;
  const type = call.identity_type ? PRINCIPAL_TYPE[call.identity_type] : undefined;
  if (type) keys["aws:PrincipalType"] = type;
  if (call.vpc_endpoint_id) {
    keys["aws:SourceVpce"] = call.vpc_endpoint_id;
    keys["aws:SourceIp"] = null;
  } else if (call.source_ip && IP.test(call.source_ip)) {
    keys["aws:SourceIp"] = call.source_ip;
  } else if (call.source_ip) {
    // A service name instead of an address: the call came from within AWS, with no source IP.
    keys["aws:SourceIp"] = null;
  }
  if (call.identity_type === "AssumedRole" && call.mfa_authenticated !== null) {
    keys["aws:MultiFactorAuthPresent"] = call.mfa_authenticated;
  }
  const request: RequestContext = {
    action: `sts:${call.event_name ?? "Unknown"}`,
    keys,
    unknownByDefault: true,
  };
  if (call.role_arn) request.resource = call.role_arn;
  if (call.principal_arn || call.account_id) {
    request.principal = { type: "AWS" };
    if (call.principal_arn) request.principal.arn = call.principal_arn;
    if (call.account_id) request.principal.accountId = call.account_id;
    if (call.principal_id) request.principal.id = call.principal_id;
    if (call.session_issuer_arn) request.principal.roleArn = call.session_issuer_arn;
  }
  return request;
}

/** The engine's answer for one call against the lock. */
export function evaluateCall(
  lock: RegionLock,
  call: LoggedStsCall,
  known: Record<string, ContextValue | null> = {},
  cache?: DecisionCache,
): { verdict: DenyVerdict; decision: Decision } {
  return wouldDeny(lock.policy, requestOf(call, known), cache ? { cache } : {});
}
