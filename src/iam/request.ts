/**
 * The request a logged role assumption was, rebuilt for the policy engine: who called (as far as
 * the log tells), and the condition keys a trust policy can test. What the log shows is KNOWN,
 * what it shows to be missing is ABSENT, and everything else is UNKNOWN (the engine then answers
 * `undetermined` when, and only when, the decision depends on it).
 */
import type { ContextValue, PrincipalRef, RequestContext } from "./policy/index.js";
import type { AssumptionCall } from "./assumptions.js";

/** What kind of caller made an assumption. */
export const CALLER_KINDS = [
  "user",
  "role-session",
  "root",
  "federated-user",
  "service",
  "saml",
  "web-identity",
  /** Known only as an account (the role owner's copy of a cross-account call). */
  "account",
  "unknown",
] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/** The caller of an assumption, as one stable key and what is known about it. */
export interface Caller {
  /**
   * The key a graph node and a grouping use: the case's `actor` (store/actor.ts: a user's ARN;
   * for a role session, the role behind it, so every session of a role is one caller;
   * `account:<id>`; `service:<name>`; `saml:<principalId>`, `web-identity:<principalId>`), so
   * that a caller of the trust check selects the same principal in a timeline or a query filter.
   * `(unknown)` when the record names no caller.
   */
  key: string;
  kind: CallerKind;
  /** The caller's own ARN when logged (a session's ARN for role sessions). */
  arn: string | null;
  account: string | null;
  /**
   * For SAML and web-identity callers: the identity provider they came through, as a trust
   * policy's `Federated` principal names it (a provider ARN, or an OIDC host).
   */
  provider: string | null;
  /** The engine's view of the caller; undefined when nothing usable is logged. */
  principal: PrincipalRef | undefined;
}

/** The key of a caller whose record names none (see store/actor.ts). */
export const UNKNOWN_CALLER = "(unknown)";

/** What the case knows about accounts, for organization conditions and "outside" findings. */
export interface AccountContext {
  /** Account id -> organization id, from the organization snapshots. */
  organizationOf: Map<string, string>;
  /** Whether any organization description is loaded. */
  organizationLoaded: boolean;
  /** Accounts the case knows: organization members, snapshot accounts, trail accounts. */
  known: Set<string>;
}

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]+)$/i;

/** The OIDC provider of a web-identity call: logged provider, resource, or the principal id's head. */
function oidcProviderOf(call: AssumptionCall): string | null {
  if (call.oidc_provider) return call.oidc_provider;
  if (call.resource_provider && call.resource_provider.includes(":oidc-provider/"))
    return call.resource_provider;
  const id = call.principal_id;
  if (!id) return null;
  // `<provider>:<aud>:<sub>`: a provider ARN keeps its colons up to the host; a host has none.
  const arn = /^(arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/[^:]+)/.exec(id);
  if (arn) return arn[1]!;
  const host = id.split(":")[0];
  return host ? host : null;
}

/** The host an OIDC provider is known by: the part after `oidc-provider/`, or the host itself. */
export function oidcHost(provider: string): string {
  const i = provider.indexOf(":oidc-provider/");
  return i >= 0 ? provider.slice(i + ":oidc-provider/".length) : provider;
}

export function callerOf(call: AssumptionCall): Caller {
  const account = call.account_id;
  const key = call.actor ?? UNKNOWN_CALLER;
  switch (call.identity_type) {
    case "IAMUser":
    case "Root":
    case "FederatedUser": {
      const kind: CallerKind =
        call.identity_type === "IAMUser"
          ? "user"
          : call.identity_type === "Root"
            ? "root"
            : "federated-user";
      const principal: PrincipalRef = { type: "AWS" };
      if (call.principal_arn) principal.arn = call.principal_arn;
      if (account) principal.accountId = account;
      if (call.principal_id) principal.id = call.principal_id;
      return { key, kind, arn: call.principal_arn, account, provider: null, principal };
    }
    case "AssumedRole": {
      const principal: PrincipalRef = { type: "AWS" };
      if (call.principal_arn) principal.arn = call.principal_arn;
      if (account) principal.accountId = account;
      if (call.principal_id) principal.id = call.principal_id;
      if (call.session_issuer_arn) principal.roleArn = call.session_issuer_arn;
      return {
        key,
        kind: "role-session",
        arn: call.principal_arn,
        account,
        provider: null,
        principal,
      };
    }
    case "AWSAccount": {
      const principal: PrincipalRef = { type: "AWS" };
      if (account) principal.accountId = account;
      if (call.principal_id) principal.id = call.principal_id;
      return { key, kind: "account", arn: null, account, provider: null, principal };
    }
    case "AWSService": {
      const service = call.invoked_by;
      return {
        key,
        kind: "service",
        arn: null,
        account: null,
        provider: null,
        principal: service ? { type: "Service", service } : undefined,
      };
    }
    case "SAMLUser": {
      const provider = call.saml_provider_arn ?? call.resource_provider;
      return {
        key,
        kind: "saml",
        arn: null,
        account: call.role_account,
        provider,
        principal: provider ? { type: "Federated", provider } : undefined,
      };
    }
    case "WebIdentityUser": {
      const provider = oidcProviderOf(call);
      return {
        key,
        kind: "web-identity",
        arn: null,
        account: call.role_account,
        provider,
        principal: provider ? { type: "Federated", provider } : undefined,
      };
    }
    default:
      return {
        key,
        kind: "unknown",
        arn: call.principal_arn,
        account,
        provider: null,
        principal: undefined,
      };
  }
}

const PRINCIPAL_TYPE: Partial<Record<CallerKind, string>> = {
  user: "User",
  "role-session": "AssumedRole",
  root: "Account",
  "federated-user": "FederatedUser",
};

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Session tags asked for: AssumeRole's `tags` list, or SAML's `principalTags` object. */
function tagsOf(call: AssumptionCall): Record<string, string> | undefined {
  const list = parseJson(call.request_tags);
  if (Array.isArray(list)) {
    const out: Record<string, string> = {};
    for (const t of list) {
      const o = t as Record<string, unknown>;
      const k = o.key ?? o.Key;
      const v = o.value ?? o.Value;
      if (typeof k === "string") out[k] = typeof v === "string" ? v : String(v ?? "");
    }
    return out;
  }
  const object = parseJson(call.principal_tags);
  if (object && typeof object === "object" && !Array.isArray(object)) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(object)) out[k] = typeof v === "string" ? v : String(v);
    return out;
  }
  return undefined;
}

/**
 * The request an assumption was. `testedKeys` are the condition keys the trust policy tests
 * (lower-cased): keys of a family the log shows whole (the session tags of a logged request)
 * are set to ABSENT when not asked for, rather than left unknown.
 */
export function requestOf(
  call: AssumptionCall,
  caller: Caller,
  accounts: AccountContext,
  testedKeys: readonly string[] = [],
): RequestContext {
  const keys: Record<string, ContextValue | null> = {};
  const time = Date.parse(call.event_time);
  keys["aws:CurrentTime"] = new Date(time).toISOString();
  keys["aws:EpochTime"] = Math.floor(time / 1000);
  if (call.requested_region) keys["aws:RequestedRegion"] = call.requested_region;
  if (call.tls_host) keys["aws:SecureTransport"] = true;
  if (call.user_agent) keys["aws:UserAgent"] = call.user_agent;

  // Network: through a VPC endpoint there is no source IP; a service name is not an address.
  if (call.vpc_endpoint_id) {
    keys["aws:SourceVpce"] = call.vpc_endpoint_id;
    keys["aws:SourceIp"] = null;
  } else if (call.source_ip && IP.test(call.source_ip)) {
    keys["aws:SourceIp"] = call.source_ip;
    keys["aws:SourceVpce"] = null;
  } else if (call.source_ip) {
    keys["aws:SourceIp"] = null;
  }

  // Who: what a trust policy can test about the caller.
  const kind = caller.kind;
  const aws =
    kind === "user" || kind === "role-session" || kind === "root" || kind === "federated-user";
  if (aws || kind === "account") {
    if (caller.account) keys["aws:PrincipalAccount"] = caller.account;
    if (call.principal_id) keys["aws:userid"] = call.principal_id;
    keys["aws:PrincipalIsAWSService"] = false;
    // Keys only services acting for a resource carry.
    keys["aws:SourceAccount"] = null;
    keys["aws:SourceArn"] = null;
    keys["aws:SourceOrgID"] = null;
    keys["aws:SourceOrgPaths"] = null;
    const org = caller.account ? accounts.organizationOf.get(caller.account) : undefined;
    if (org) keys["aws:PrincipalOrgID"] = org;
    // Otherwise unknown: an account outside the organization the case knows may be in another.
  }
  if (aws) {
    const principalArn =
      kind === "role-session"
        ? (call.session_issuer_arn ?? call.principal_arn)
        : call.principal_arn;
    if (principalArn) keys["aws:PrincipalArn"] = principalArn;
    keys["aws:PrincipalType"] = PRINCIPAL_TYPE[kind]!;
    if (kind === "user" && call.user_name) keys["aws:username"] = call.user_name;
    keys["aws:ViaAWSService"] = call.invoked_by !== null;
  }
  if (kind === "service" && call.invoked_by) {
    keys["aws:PrincipalIsAWSService"] = true;
    keys["aws:PrincipalServiceName"] = call.invoked_by;
  }

  // MFA: a session says whether it was MFA-authenticated; a long-term key has no MFA unless the
  // request carried a device (then a successful call proves the code was right).
  const temporary = call.access_key_id?.startsWith("ASIA") ?? false;
  if (call.mfa_serial) {
    if (call.error_code === null) keys["aws:MultiFactorAuthPresent"] = true;
  } else if (kind === "role-session" || kind === "federated-user" || (aws && temporary)) {
    if (call.mfa_authenticated !== null)
      keys["aws:MultiFactorAuthPresent"] = call.mfa_authenticated;
  } else if ((kind === "user" || kind === "root") && call.access_key_id?.startsWith("AKIA")) {
    keys["aws:MultiFactorAuthPresent"] = null;
  }

  // STS keys of the request itself.
  if (call.request_logged) {
    keys["sts:RoleSessionName"] = call.session_name;
    keys["sts:ExternalId"] = call.external_id;
    // A source identity persists along a chain: the caller's session carries it on.
    const sourceIdentity = call.requested_source_identity ?? call.session_source_identity;
    if (sourceIdentity !== null) keys["sts:SourceIdentity"] = sourceIdentity;
    else if (kind !== "account") keys["sts:SourceIdentity"] = null;
    if (call.event_name !== "AssumeRoleWithWebIdentity") {
      // Session tags are logged with AssumeRole and SAML requests (not inside web identity tokens).
      const tags = tagsOf(call) ?? {};
      const names = Object.keys(tags);
      keys["aws:TagKeys"] = names.length ? names : null;
      for (const [k, v] of Object.entries(tags)) keys[`aws:RequestTag/${k}`] = v;
      for (const tested of testedKeys) {
        if (tested.startsWith("aws:requesttag/") && !(tested in lowerKeys(keys)))
          keys[tested] = null;
      }
    }
  }

  if (call.event_name === "AssumeRoleWithSAML" && call.error_code === null) {
    const saml: [string, string | null][] = [
      ["SAML:aud", call.audience],
      ["SAML:sub", call.saml_subject],
      ["SAML:sub_type", call.saml_subject_type],
      ["SAML:iss", call.saml_issuer],
      ["SAML:namequalifier", call.saml_name_qualifier],
    ];
    for (const [k, v] of saml) if (v !== null) keys[k] = v;
  }
  if (call.event_name === "AssumeRoleWithWebIdentity") {
    const provider = caller.principal?.provider;
    if (provider) {
      keys["aws:FederatedProvider"] = provider;
      const host = oidcHost(provider);
      if (call.error_code === null) {
        if (call.audience !== null) keys[`${host}:aud`] = call.audience;
        if (call.oidc_subject !== null) keys[`${host}:sub`] = call.oidc_subject;
      }
    }
  }

  const request: RequestContext = {
    action: `sts:${call.event_name}`,
    keys,
    unknownByDefault: true,
  };
  if (call.role_arn) request.resource = call.snapshot_role_arn ?? call.role_arn;
  if (caller.principal) request.principal = caller.principal;
  return request;
}

function lowerKeys(keys: Record<string, unknown>): Record<string, true> {
  const out: Record<string, true> = {};
  for (const k of Object.keys(keys)) out[k.toLowerCase()] = true;
  return out;
}
