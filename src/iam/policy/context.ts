/**
 * The request a policy is asked about, and the three-valued logic the engine reasons in.
 *
 * A responder rebuilds requests from CloudTrail, and a log does not hold everything a policy can
 * test: the organization of a caller, the source IP of a call through a VPC endpoint, a session
 * tag. So every condition key of a request is in one of three states: KNOWN (with its value),
 * KNOWN TO BE ABSENT, or UNKNOWN. The engine never guesses an unknown: what depends on one
 * evaluates to "unknown", and a decision is `undetermined` only when an unknown could change it.
 */

/** A value of a condition key: a string, a list of strings (multi-valued keys), a number, a boolean. */
export type ContextValue = string | string[] | number | boolean;

/** Three-valued truth: `true`, `false`, or `"unknown"` when it depends on something not known. */
export type Truth = boolean | "unknown";

/** The kinds of caller a Principal element can name (plus `Anonymous`, matched only by `*`). */
export type PrincipalType = "AWS" | "Service" | "Federated" | "CanonicalUser" | "Anonymous";

/**
 * Who makes the request, as far as it is known. Fill what the log shows; leave the rest out.
 *
 * - `AWS`: `arn` is the caller's ARN (`arn:aws:iam::<acct>:user/...`, `...:role/...`, `...:root`,
 *   or an assumed-role session `arn:aws:sts::<acct>:assumed-role/<role>/<session>`); `accountId`
 *   its account (taken from `arn` when omitted); `id` its unique id (`AIDA...`, or `AROA...:<session>`
 *   for a role session: CloudTrail's `principalId`); `roleArn` the full ARN, with path, of the
 *   role behind a session (CloudTrail's `sessionContext.sessionIssuer.arn`). A cross-account
 *   caller often shows only `accountId` and `id`: role and user entries then match "unknown".
 * - `Service`: `service` is the service principal (`ec2.amazonaws.com`).
 * - `Federated`: `provider` is the identity provider as the request names it: a SAML or OIDC
 *   provider ARN, or an OIDC host such as `token.actions.githubusercontent.com` or
 *   `cognito-identity.amazonaws.com`.
 * - `CanonicalUser`: `id` is the canonical user id.
 * - `Anonymous`: an unauthenticated request.
 */
export interface PrincipalRef {
  type: PrincipalType;
  arn?: string;
  accountId?: string;
  id?: string;
  roleArn?: string;
  service?: string;
  provider?: string;
}

/**
 * One request to evaluate.
 *
 * Keys: a key listed in `keys` with a value is KNOWN; with `null` it is KNOWN TO BE ABSENT; a key
 * listed in `unknownKeys` (a key name, or a glob such as `aws:PrincipalTag/*`) is UNKNOWN. A key
 * in neither place is ABSENT, unless `unknownByDefault` is set, in which case it is UNKNOWN. A
 * value in `keys` wins over `unknownKeys` (so "everything about tags is unknown except this tag"
 * can be said). Key names are case-insensitive, as in IAM. An empty list counts as absent (for
 * `ForAnyValue:`/`ForAllValues:` an empty set and a missing key give the same result).
 *
 * Resource: the ARN the action is on. When omitted, a `Resource` of `*` still matches, any other
 * `Resource`/`NotResource` evaluates to unknown (reported as {@link UNKNOWN_RESOURCE}), and a
 * statement with neither element (as in trust policies) matches.
 *
 * Principal: when omitted, every `Principal`/`NotPrincipal` element evaluates to unknown
 * (reported as {@link UNKNOWN_PRINCIPAL}).
 */
export interface RequestContext {
  principal?: PrincipalRef;
  /** The action, `service:Name` (e.g. `sts:AssumeRole`); compared case-insensitively. */
  action: string;
  resource?: string;
  keys: Record<string, ContextValue | null | undefined>;
  unknownKeys?: string[];
  unknownByDefault?: boolean;
}

/** The name reported in `unknownKeys` when a decision depends on a resource the request lacks. */
export const UNKNOWN_RESOURCE = "(request resource)";
/** The name reported in `unknownKeys` when a decision depends on a principal not fully known. */
export const UNKNOWN_PRINCIPAL = "(request principal)";

/** What the request says about one key. */
export type KeyLookup =
  { state: "present"; values: string[] } | { state: "absent" } | { state: "unknown" };

const ABSENT: KeyLookup = { state: "absent" };
const UNKNOWN: KeyLookup = { state: "unknown" };

/** A request prepared once for evaluation: keys lower-cased, values as strings. */
export interface PreparedContext {
  request: RequestContext;
  /** The action, lower-cased. */
  action: string;
  lookup(keyLower: string): KeyLookup;
}

function toStrings(value: ContextValue): string[] {
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

/** Prepares a request: key names are lower-cased once so each lookup is one map access. */
export function prepareContext(request: RequestContext): PreparedContext {
  const known = new Map<string, KeyLookup>();
  for (const name of Object.keys(request.keys)) {
    const value = request.keys[name];
    if (value === undefined) continue;
    if (value === null) known.set(name.toLowerCase(), ABSENT);
    else {
      const values = toStrings(value);
      known.set(name.toLowerCase(), values.length === 0 ? ABSENT : { state: "present", values });
    }
  }
  const unknownExact = new Set<string>();
  const unknownGlobs: RegExp[] = [];
  for (const name of request.unknownKeys ?? []) {
    const lower = name.toLowerCase();
    if (lower.includes("*") || lower.includes("?")) {
      const source = lower
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
      unknownGlobs.push(new RegExp(`^${source}$`, "s"));
    } else unknownExact.add(lower);
  }
  const byDefault = request.unknownByDefault === true;
  return {
    request,
    action: request.action.toLowerCase(),
    lookup(keyLower: string): KeyLookup {
      const hit = known.get(keyLower);
      if (hit !== undefined) return hit;
      if (unknownExact.has(keyLower)) return UNKNOWN;
      for (const glob of unknownGlobs) if (glob.test(keyLower)) return UNKNOWN;
      return byDefault ? UNKNOWN : ABSENT;
    },
  };
}

/** Three-valued AND. */
export function and3(a: Truth, b: Truth): Truth {
  if (a === false || b === false) return false;
  if (a === "unknown" || b === "unknown") return "unknown";
  return true;
}

/** Three-valued OR. */
export function or3(a: Truth, b: Truth): Truth {
  if (a === true || b === true) return true;
  if (a === "unknown" || b === "unknown") return "unknown";
  return false;
}

/** Three-valued NOT. */
export function not3(a: Truth): Truth {
  return a === "unknown" ? "unknown" : !a;
}
