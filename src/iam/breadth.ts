/**
 * How broadly a trust statement lets callers in, read from the statement alone.
 *
 * Two shapes are broad:
 * - `public`: an Allow for every principal (`"*"`, `{"AWS": "*"}`, or a `NotPrincipal` with
 *   Allow) that no condition narrows to known callers;
 * - `account-without-external-id`: an Allow for a whole account (`:root` or a bare id) outside the
 *   organization (or, with no organization loaded, outside the accounts the case knows), with no
 *   `sts:ExternalId` condition and nothing else narrowing it: any principal that account lets
 *   call AssumeRole gets in, the confused-deputy shape the external id exists to prevent.
 *
 * A condition narrows when a positive operator (not negated, not `...IfExists`, not `Null`) tests
 * a key that names or bounds the caller: {@link NARROWING_KEYS}. Whole accounts inside the
 * organization are the ordinary cross-account pattern and are not called broad.
 */
import type { ConditionEntry, Policy, Statement } from "./policy/index.js";

/** The shapes of a broad trust statement. */
export const TRUST_BREADTHS = ["public", "account-without-external-id"] as const;
export type TrustBreadth = (typeof TRUST_BREADTHS)[number];

/** Condition keys that restrict who the caller can be (or where from), lower-cased. */
export const NARROWING_KEYS: readonly string[] = [
  "aws:principalorgid",
  "aws:principalorgpaths",
  "aws:principalarn",
  "aws:principalaccount",
  "aws:userid",
  "aws:username",
  "aws:sourceaccount",
  "aws:sourcearn",
  "aws:sourceorgid",
  "aws:sourceorgpaths",
  "aws:sourceip",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "sts:externalid",
];

const ACCOUNT_ID = /^\d{12}$/;
const ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

/** One statement of a trust policy, classified. */
export interface StatementBreadth {
  index: number;
  sid: string | null;
  effect: "Allow" | "Deny";
  /** Null when the statement is not broad (or is a Deny). */
  breadth: TrustBreadth | null;
  /** Accounts the statement trusts as a whole. */
  wholeAccounts: string[];
  /** Whether it names every principal (`*`, or NotPrincipal with Allow). */
  everyone: boolean;
  /** The narrowing condition keys it has (as written). */
  narrowedBy: string[];
  /** Whether it requires sts:ExternalId. */
  externalId: boolean;
  /** One phrase saying why it is (or is not) broad. */
  reason: string;
}

function narrows(c: ConditionEntry): boolean {
  return (
    !c.info.negated &&
    !c.info.ifExists &&
    c.info.family !== "Null" &&
    NARROWING_KEYS.includes(c.keyLower)
  );
}

function accountOf(entry: string): string | undefined {
  if (ACCOUNT_ID.test(entry)) return entry;
  return ROOT.exec(entry)?.[1];
}

/**
 * Classifies one statement of a role's trust policy. `insider` says whether an account belongs
 * to the organization (or the known accounts); the role's own account is always an insider.
 */
export function statementBreadth(
  s: Statement,
  roleAccount: string | null,
  insider: (account: string) => boolean,
): StatementBreadth {
  const narrowedBy = s.conditions.filter(narrows).map((c) => c.key);
  const externalId = s.conditions.some((c) => narrows(c) && c.keyLower === "sts:externalid");
  const everyone = s.notPrincipal !== undefined || s.principal?.wildcard === true;
  const wholeAccounts = [...new Set((s.principal?.aws ?? []).flatMap((e) => accountOf(e) ?? []))];
  const base = {
    index: s.index,
    sid: s.sid ?? null,
    effect: s.effect,
    wholeAccounts,
    everyone,
    narrowedBy,
    externalId,
  };
  if (s.effect !== "Allow") return { ...base, breadth: null, reason: "a Deny statement" };
  if (everyone) {
    return narrowedBy.length
      ? { ...base, breadth: null, reason: `every principal, narrowed by ${narrowedBy.join(", ")}` }
      : { ...base, breadth: "public", reason: "every principal, with no condition narrowing who" };
  }
  const outside = wholeAccounts.filter((a) => a !== roleAccount && !insider(a));
  if (outside.length) {
    if (narrowedBy.length === 0) {
      return {
        ...base,
        breadth: "account-without-external-id",
        reason: `the whole account ${outside.join(", ")} (outside the organization) with no external id`,
      };
    }
    return {
      ...base,
      breadth: null,
      reason: `the whole account ${outside.join(", ")}, narrowed by ${narrowedBy.join(", ")}`,
    };
  }
  return { ...base, breadth: null, reason: "named principals or accounts inside the organization" };
}

/** Every statement of a trust policy, classified. */
export function policyBreadth(
  policy: Policy,
  roleAccount: string | null,
  insider: (account: string) => boolean,
): StatementBreadth[] {
  return policy.statements.map((s) => statementBreadth(s, roleAccount, insider));
}
