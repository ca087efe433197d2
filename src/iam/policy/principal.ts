/**
 * `Principal` / `NotPrincipal` matching.
 *
 * - `"*"` and `{"AWS": "*"}` match every caller, anonymous ones included.
 * - An account (`arn:aws:iam::<acct>:root` or the bare 12-digit id) matches every principal of
 *   that account: the account then decides through its own identity policies, so such a match is
 *   reported as delegated (`viaAccount`).
 * - A role, user, assumed-role session or federated-user ARN matches that principal exactly. A
 *   session `arn:aws:sts::<acct>:assumed-role/<role>/<session>` also matches the role ARN
 *   `arn:aws:iam::<acct>:role/<path>/<role>`: the session ARN carries no path, so account and role
 *   name decide.
 * - No partial wildcards: a `*` inside an ARN entry is a literal character (IAM only globs
 *   principals through conditions such as `ArnLike aws:PrincipalArn`).
 * - A raw unique id (`AROA...`, `AIDA...`, what IAM shows once the named role or user is deleted)
 *   matches the principal whose `id` it is; when the caller's id is not known it is unknown.
 * - `Service`, `Federated` (SAML and OIDC providers) and `CanonicalUser` entries match callers of
 *   that type.
 *
 * `NotPrincipal` (with Deny) is read more narrowly, as AWS documents it: an entry excludes the
 * caller only when it names the caller itself. An account entry there excludes the account
 * principal, not every principal in the account, and a role ARN excludes the role, not its
 * sessions (a session is excluded only by its own session ARN). So `NotPrincipal: [role, :root]`
 * still denies the role's sessions, the well-known trap of this element.
 */

import type { PolicyKind, PrincipalSet, Statement } from "./document.js";
import { not3, UNKNOWN_PRINCIPAL, type PrincipalRef, type Truth } from "./context.js";
import type { ElementMatch } from "./action.js";
import { splitArn } from "./condition.js";

/** A principal match; `viaAccount` is the account an account-wide entry delegated to. */
export interface PrincipalMatch extends ElementMatch {
  viaAccount?: string;
}

const ACCOUNT_ID = /^\d{12}$/;
// IAM unique ids: a four-letter type prefix (AIDA user, AROA role, ...) then upper-case base32.
const UNIQUE_ID = /^A[A-Z]{3}[A-Z0-9]{12,}$/;

interface ParsedArn {
  partition: string;
  service: string;
  account: string;
  resource: string;
}

// Policy entries repeat across requests; their parsed form is kept (bounded, as callers vary).
const arnCache = new Map<string, ParsedArn | null>();

function parseArn(arn: string | undefined): ParsedArn | undefined {
  if (arn === undefined) return undefined;
  let parsed = arnCache.get(arn);
  if (parsed === undefined) {
    const parts = splitArn(arn);
    parsed =
      parts && parts[0] === "arn"
        ? { partition: parts[1]!, service: parts[2]!, account: parts[4]!, resource: parts[5]! }
        : null;
    if (arnCache.size > 10_000) arnCache.clear();
    arnCache.set(arn, parsed);
  }
  return parsed ?? undefined;
}

interface CallerFacts {
  account: string | undefined;
  /** For an assumed-role session: its account and role name. */
  session: { account: string; role: string } | undefined;
}

// What the matching needs from a caller, worked out once per caller object: callers are usually
// reused across many requests (one per session in a log).
const callerFacts = new WeakMap<PrincipalRef, CallerFacts>();

function factsOf(p: PrincipalRef): CallerFacts {
  let facts = callerFacts.get(p);
  if (facts === undefined) {
    const arn = parseArn(p.arn);
    let session: CallerFacts["session"];
    if (arn && arn.service === "sts" && arn.resource.startsWith("assumed-role/")) {
      const role = arn.resource.split("/")[1];
      if (role) session = { account: arn.account, role };
    }
    facts = { account: p.accountId ?? arn?.account, session };
    callerFacts.set(p, facts);
  }
  return facts;
}

/** The host an OIDC provider is known by, from an `oidc-provider/` ARN or the host itself. */
function oidcHost(provider: string): string {
  const arn = parseArn(provider);
  if (arn && arn.service === "iam" && arn.resource.startsWith("oidc-provider/")) {
    return arn.resource.slice("oidc-provider/".length).toLowerCase();
  }
  return provider.toLowerCase();
}

type EntryResult = { matched: Truth; why: string; viaAccount?: string };

/** Whether the caller is an account's root principal (unknown when only its account is known). */
function isAccountPrincipal(p: PrincipalRef): Truth {
  if (p.arn !== undefined) return parseArn(p.arn)?.resource === "root";
  return "unknown";
}

function matchAwsEntry(entry: string, p: PrincipalRef, exact: boolean): EntryResult {
  const caller = p.arn ?? p.id ?? p.accountId ?? "the caller";
  if (p.type !== "AWS")
    return { matched: false, why: `"${entry}" names an AWS principal, the caller is ${p.type}` };
  const facts = factsOf(p);
  const callerAccount = facts.account;
  const arn = parseArn(entry);
  const account = ACCOUNT_ID.test(entry)
    ? entry
    : arn && arn.service === "iam" && arn.resource === "root"
      ? arn.account
      : undefined;
  if (account !== undefined) {
    if (callerAccount === undefined)
      return { matched: "unknown", why: `"${entry}": the caller's account is not known` };
    if (exact && callerAccount === account) {
      // In NotPrincipal an account entry is the account principal only.
      const root = isAccountPrincipal(p);
      return {
        matched: root,
        why:
          root === true
            ? `"${entry}" is the caller's account principal`
            : root === false
              ? `"${entry}" names the account principal of ${account}, not ${caller}`
              : `"${entry}": only the caller's account ${account} is known, not whether it is the account principal`,
      };
    }
    return callerAccount === account
      ? {
          matched: true,
          why: `"${entry}" names the caller's account ${account}`,
          viaAccount: account,
        }
      : {
          matched: false,
          why: `"${entry}" names account ${account}, the caller is in ${callerAccount}`,
        };
  }
  if (UNIQUE_ID.test(entry)) {
    if (p.id === undefined)
      return {
        matched: "unknown",
        why: `"${entry}" is a unique id and the caller's id is not known`,
      };
    // A role's unique id stands for its sessions too (`AROA...:<session>`), except in NotPrincipal.
    const hit = p.id === entry || (!exact && p.id.startsWith(`${entry}:`));
    return {
      matched: hit,
      why: hit
        ? `"${entry}" is the caller's unique id`
        : `"${entry}" is not the caller's unique id`,
    };
  }
  if (p.arn === entry) return { matched: true, why: `"${entry}" is the caller` };
  if (exact && arn && arn.service === "iam" && arn.resource.startsWith("role/")) {
    const session = facts.session;
    const roleName = arn.resource.slice(arn.resource.lastIndexOf("/") + 1);
    if (
      p.roleArn === entry ||
      (session && session.account === arn.account && session.role === roleName)
    ) {
      return {
        matched: false,
        why: `"${entry}" names the role, not the caller's session ${p.arn ?? p.id ?? ""} (NotPrincipal excludes a session only by its session ARN)`,
      };
    }
  } else if (arn && arn.service === "iam" && arn.resource.startsWith("role/")) {
    if (p.roleArn === entry)
      return { matched: true, why: `"${entry}" is the role behind the caller's session` };
    const session = facts.session;
    const roleName = arn.resource.slice(arn.resource.lastIndexOf("/") + 1);
    if (session && session.account === arn.account && session.role === roleName) {
      return { matched: true, why: `"${entry}" is the role of the caller's session ${p.arn}` };
    }
  }
  // A caller known only by account (how a cross-account caller appears in the role owner's log)
  // may or may not be the principal an ARN entry names.
  if (p.arn === undefined && entryAccount(entry) === callerAccount && callerAccount !== undefined) {
    return {
      matched: "unknown",
      why: `"${entry}": only the caller's account ${callerAccount} is known`,
    };
  }
  if (entry.includes("*") && entry !== "*") {
    return {
      matched: false,
      why: `"${entry}" is not the caller (a "*" inside a principal ARN is literal)`,
    };
  }
  return { matched: false, why: `"${entry}" is not ${caller}` };
}

function entryAccount(entry: string): string | undefined {
  return parseArn(entry)?.account;
}

function matchEntry(
  kind: "Service" | "Federated" | "CanonicalUser",
  entry: string,
  p: PrincipalRef,
): EntryResult {
  if (p.type !== kind)
    return { matched: false, why: `"${entry}" names a ${kind} principal, the caller is ${p.type}` };
  if (kind === "Service") {
    const hit = p.service !== undefined && p.service.toLowerCase() === entry.toLowerCase();
    return {
      matched: hit,
      why: hit
        ? `service "${entry}" is the caller`
        : `service "${entry}" is not ${p.service ?? "known"}`,
    };
  }
  if (kind === "CanonicalUser") {
    const hit = p.id !== undefined && p.id === entry;
    return {
      matched: hit,
      why: hit
        ? `canonical user "${entry}" is the caller`
        : `canonical user "${entry}" is not the caller`,
    };
  }
  const provider = p.provider ?? p.arn;
  if (provider === undefined)
    return { matched: "unknown", why: `"${entry}": the caller's identity provider is not known` };
  // The provider ARN must live in the role's own account, which a trust policy cannot name
  // otherwise; comparing by host lets a log's `token.actions.githubusercontent.com` match it.
  const hit = provider === entry || oidcHost(provider) === oidcHost(entry);
  return {
    matched: hit,
    why: hit ? `provider "${entry}" is the caller's` : `provider "${entry}" is not ${provider}`,
  };
}

/**
 * Matches a caller against the entries of one Principal element (their OR). `exact` reads the
 * entries as NotPrincipal does: each names one principal, never the principals under it.
 */
export function matchPrincipalSet(
  set: PrincipalSet,
  p: PrincipalRef | undefined,
  exact = false,
): PrincipalMatch {
  if (set.wildcard) return { matched: true, why: `"*" matches every caller`, unknownKeys: [] };
  if (p === undefined) {
    return { matched: "unknown", why: "the caller is not known", unknownKeys: [UNKNOWN_PRINCIPAL] };
  }
  let best: EntryResult | undefined;
  let lastFalse: EntryResult | undefined;
  const consider = (r: EntryResult): boolean => {
    if (r.matched === true && (best?.matched !== true || (best.viaAccount && !r.viaAccount)))
      best = r;
    else if (r.matched === "unknown" && best === undefined) best = r;
    else if (r.matched === false) lastFalse = r;
    // A direct match is final; an account match may still be upgraded to a direct one.
    return r.matched === true && !r.viaAccount;
  };
  const groups: [PrincipalSet[keyof Omit<PrincipalSet, "wildcard">], (e: string) => EntryResult][] =
    [
      [set.aws, (e) => matchAwsEntry(e, p, exact)],
      [set.service, (e) => matchEntry("Service", e, p)],
      [set.federated, (e) => matchEntry("Federated", e, p)],
      [set.canonicalUser, (e) => matchEntry("CanonicalUser", e, p)],
    ];
  outer: for (const [entries, match] of groups) {
    for (const e of entries) if (consider(match(e))) break outer;
  }
  const r = best ?? lastFalse ?? { matched: false, why: "the element names no principal" };
  const out: PrincipalMatch = {
    matched: r.matched,
    why: r.why,
    unknownKeys: r.matched === "unknown" ? [UNKNOWN_PRINCIPAL] : [],
  };
  if (r.matched === true && r.viaAccount) out.viaAccount = r.viaAccount;
  return out;
}

/** Whether a statement's Principal/NotPrincipal covers the caller, for a policy of this kind. */
export function matchPrincipal(
  s: Statement,
  p: PrincipalRef | undefined,
  kind: PolicyKind | undefined,
): PrincipalMatch {
  if (kind === "identity" || kind === "scp") {
    return {
      matched: true,
      why: `the caller is the one the ${kind} policy applies to`,
      unknownKeys: [],
    };
  }
  if (s.principal) return matchPrincipalSet(s.principal, p);
  if (s.notPrincipal) {
    const m = matchPrincipalSet(s.notPrincipal, p, true);
    const why =
      m.matched === true
        ? `NotPrincipal excludes the caller: ${m.why}`
        : `NotPrincipal does not exclude the caller (${m.why})`;
    return { matched: not3(m.matched), why, unknownKeys: m.unknownKeys };
  }
  if (kind === "trust" || kind === "resource")
    return { matched: false, why: "the statement names no Principal", unknownKeys: [] };
  return { matched: true, why: "no Principal element", unknownKeys: [] };
}
