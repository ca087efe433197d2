/**
 * Decisions: which statements apply to a request, what they decide together, and why, in words a
 * responder can paste into a report.
 *
 * IAM's rules: an explicit Deny anywhere wins; otherwise an Allow allows; otherwise the request
 * is implicitly denied. Each statement applies when its principal, action, resource and all its
 * conditions match, in three-valued logic, so a statement may "maybe" apply. A decision is
 * `undetermined` only when such a maybe could change whether the request is allowed: an unknown
 * in a statement whose action does not match, or next to a Deny that already applies, is ignored.
 */

import { matchAction, matchResource, type ElementMatch } from "./action.js";
import { evaluateCondition, type ConditionTrace } from "./condition.js";
import type { Effect, Policy, PolicyKind, Statement } from "./document.js";
import {
  and3,
  not3,
  or3,
  prepareContext,
  type PreparedContext,
  type RequestContext,
  type Truth,
} from "./context.js";
import { matchPrincipal, type PrincipalMatch } from "./principal.js";
import type { DecisionCache } from "./cache.js";

/** How one statement was evaluated. */
export interface StatementTrace {
  /** Which of the evaluated policies it belongs to (0 for a single policy). */
  policy: number;
  /** Its position in that policy. */
  index: number;
  sid?: string;
  effect: Effect;
  /** Whether the statement applies to the request: all of the parts below, ANDed. */
  applies: Truth;
  principal: PrincipalMatch;
  action: ElementMatch;
  resource: ElementMatch;
  /** Evaluated only when principal, action and resource do not already rule the statement out. */
  conditionsEvaluated: boolean;
  conditions: ConditionTrace[];
  /** What made `applies` unknown. */
  unknownKeys: string[];
}

export type DecisionKind = "allow" | "deny" | "implicit-deny" | "undetermined";

/**
 * The outcome for a request.
 *
 * `decision` is `undetermined` exactly when `allowed` is unknown. When the request is certainly
 * not allowed but a Deny only maybe applies, `decision` is `implicit-deny`, `explicitDeny` is
 * `"unknown"` and `unknownKeys` says on what it depends (that distinction matters once policies
 * are combined, which {@link evaluatePolicies} does on these three-valued fields).
 */
export interface Decision {
  decision: DecisionKind;
  allowed: Truth;
  explicitDeny: Truth;
  explicitAllow: Truth;
  /** Every statement of every policy evaluated, in order. */
  statements: StatementTrace[];
  /** Positions in `statements` of the statements that decided (the Denies or Allows that apply). */
  decidingStatements: number[];
  /** The keys (and pseudo-keys for a missing resource or principal) the outcome depends on. */
  unknownKeys: string[];
  /**
   * Accounts an allowing statement named as a whole (`:root` or a bare id): the request also needs
   * an allow from that account's identity policies, which this decision does not cover.
   */
  delegatesToAccount: string[];
  explanation: string;
}

/** Options of {@link evaluatePolicy} and {@link evaluatePolicies}. */
export interface EvaluateOptions {
  /** How to treat `Principal`; defaults to the kind given at parse time, else "check if present". */
  kind?: PolicyKind;
}

function union(lists: string[][]): string[] {
  const out: string[] = [];
  for (const l of lists) for (const k of l) if (!out.includes(k)) out.push(k);
  return out;
}

function evaluateStatement(
  s: Statement,
  policy: number,
  kind: PolicyKind | undefined,
  ctx: PreparedContext,
): StatementTrace {
  const action = matchAction(s, ctx);
  const principal = matchPrincipal(s, ctx.request.principal, kind);
  const resource = matchResource(s, ctx);
  let applies = and3(and3(action.matched, principal.matched), resource.matched);
  const conditions: ConditionTrace[] = [];
  const conditionsEvaluated = applies !== false;
  if (conditionsEvaluated) {
    for (const c of s.conditions) {
      const t = evaluateCondition(c, ctx);
      conditions.push(t);
      applies = and3(applies, t.result);
    }
  }
  const trace: StatementTrace = {
    policy,
    index: s.index,
    effect: s.effect,
    applies,
    principal,
    action,
    resource,
    conditionsEvaluated,
    conditions,
    unknownKeys:
      applies === "unknown"
        ? union([
            principal.unknownKeys,
            resource.unknownKeys,
            ...conditions.map((c) => c.unknownKeys),
          ])
        : [],
  };
  if (s.sid !== undefined) trace.sid = s.sid;
  return trace;
}

function label(t: StatementTrace, several: boolean): string {
  const name = t.sid ? `"${t.sid}"` : `#${t.index}`;
  return several ? `policy ${t.policy} statement ${name}` : `statement ${name}`;
}

function showContext(c: ConditionTrace): string {
  return Array.isArray(c.context)
    ? JSON.stringify(c.context.length === 1 ? c.context[0] : c.context)
    : c.context;
}

/** The first reason a statement does not (or may not) apply, in a phrase. */
function reason(t: StatementTrace, wanted: Truth): string {
  for (const part of [t.action, t.principal, t.resource])
    if (part.matched === wanted) return part.why;
  const c = t.conditions.find((x) => x.result === wanted);
  if (c) {
    const values = JSON.stringify(c.values.length === 1 ? c.values[0] : c.values);
    return `${c.operator} ${c.key} ${values} is ${wanted === false ? "false" : "unknown"} (request: ${showContext(c)})`;
  }
  return "";
}

function combine(
  statements: StatementTrace[],
  request: RequestContext,
  several: boolean,
  empty: boolean,
): Decision {
  let explicitDeny: Truth = false;
  let explicitAllow: Truth = false;
  for (const t of statements) {
    if (t.effect === "Deny") explicitDeny = or3(explicitDeny, t.applies);
    else explicitAllow = or3(explicitAllow, t.applies);
  }
  const allowed: Truth =
    explicitDeny === true
      ? false
      : explicitDeny === false
        ? explicitAllow
        : explicitAllow === false
          ? false
          : "unknown";
  const decision: DecisionKind =
    allowed === "unknown"
      ? "undetermined"
      : allowed
        ? "allow"
        : explicitDeny === true
          ? "deny"
          : "implicit-deny";

  const positions = (effect: Effect, value: Truth): number[] =>
    statements.flatMap((t, i) => (t.effect === effect && t.applies === value ? [i] : []));
  let deciding: number[] = [];
  if (explicitDeny === true) deciding = positions("Deny", true);
  else if (allowed === true) deciding = positions("Allow", true);

  // The unknowns that matter: a maybe-Deny unless a Deny applies; a maybe-Allow unless an Allow
  // applies (or a Deny already decides).
  const maybeDeny = explicitDeny === "unknown" ? positions("Deny", "unknown") : [];
  const maybeAllow =
    explicitAllow === "unknown" && explicitDeny !== true ? positions("Allow", "unknown") : [];
  const unknownKeys = union([...maybeDeny, ...maybeAllow].map((i) => statements[i]!.unknownKeys));

  const delegates =
    allowed === true
      ? union(
          deciding.map((i) =>
            statements[i]!.principal.viaAccount ? [statements[i]!.principal.viaAccount!] : [],
          ),
        )
      : [];

  const action = request.action;
  const keys = unknownKeys.join(", ");
  const names = (list: number[]): string =>
    list.map((i) => label(statements[i]!, several)).join(", ");
  let explanation: string;
  if (empty) {
    explanation = `No policy statement exists, so ${action} is implicitly denied.`;
  } else if (decision === "deny") {
    const t = statements[deciding[0]!]!;
    const conds = t.conditions.length
      ? ` (its conditions hold: ${t.conditions.map((c) => `${c.operator} ${c.key}`).join(", ")})`
      : "";
    explanation = `${action} is explicitly denied by ${names(deciding)}${conds}.`;
  } else if (decision === "allow") {
    explanation = `${action} is allowed by ${names(deciding)}: ${statements[deciding[0]!]!.principal.why}.`;
    if (delegates.length) {
      explanation += ` The trust is delegated to account ${delegates.join(", ")}, whose identity policies must also allow it.`;
    }
  } else if (decision === "implicit-deny") {
    const allows = statements.filter((t) => t.effect === "Allow");
    explanation = allows.length
      ? `No statement allows ${action}: ${allows
          .map((t) => `${label(t, several)}: ${reason(t, false)}`)
          .slice(0, 3)
          .join("; ")}.`
      : `No statement allows ${action} (the policy only denies), so it is implicitly denied.`;
    if (explicitDeny === "unknown")
      explanation += ` ${names(maybeDeny)} may also deny it explicitly, depending on ${keys}.`;
  } else {
    const parts: string[] = [];
    if (maybeAllow.length)
      parts.push(
        `${names(maybeAllow)} would allow it: ${reason(statements[maybeAllow[0]!]!, "unknown")}`,
      );
    if (maybeDeny.length)
      parts.push(
        `${names(maybeDeny)} would deny it: ${reason(statements[maybeDeny[0]!]!, "unknown")}`,
      );
    explanation = `Undetermined: the outcome of ${action} depends on ${keys}, which the request does not establish; ${parts.join("; ")}.`;
  }
  return {
    decision,
    allowed,
    explicitDeny,
    explicitAllow,
    statements,
    decidingStatements: deciding,
    unknownKeys,
    delegatesToAccount: delegates,
    explanation,
  };
}

/**
 * Evaluates several policies together: an explicit Deny in any of them wins, otherwise an Allow
 * in any of them allows. (That is how a principal's identity policies, or the resource policies
 * on one resource, combine. SCPs at different levels of an organization each must allow; ask
 * {@link wouldDeny} per level for those.)
 */
export function evaluatePolicies(
  policies: readonly Policy[],
  request: RequestContext,
  options?: EvaluateOptions,
): Decision {
  return evaluatePrepared(policies, prepareContext(request), options);
}

/** {@link evaluatePolicies} on a request already prepared (see `DecisionCache`). */
export function evaluatePrepared(
  policies: readonly Policy[],
  ctx: PreparedContext,
  options?: EvaluateOptions,
): Decision {
  const statements: StatementTrace[] = [];
  policies.forEach((policy, i) => {
    const kind = options?.kind ?? policy.kind;
    for (const s of policy.statements) statements.push(evaluateStatement(s, i, kind, ctx));
  });
  return combine(statements, ctx.request, policies.length > 1, statements.length === 0);
}

/** Evaluates one policy against one request. */
export function evaluatePolicy(
  policy: Policy,
  request: RequestContext,
  options?: EvaluateOptions,
): Decision {
  return evaluatePolicies([policy], request, options);
}

/** The answer of {@link wouldDeny}. */
export type DenyVerdict = "deny" | "not-denied" | "undetermined" | "not-deniable";

// No policy can deny these (AWS documents that GetCallerIdentity needs no permission and that
// GetSessionToken is not controlled by policies), so "denied" would be a wrong answer for them.
const NOT_DENIABLE = new Set(["sts:getcalleridentity", "sts:getsessiontoken"]);

/** Options of {@link wouldDeny}. */
export interface WouldDenyOptions {
  /**
   * When true, the policies given are ALL the SCPs attached at one level of the organization, so a
   * request none of them allows is denied too (an allow-list SCP). When false (the default) only
   * explicit Deny statements count, as if `FullAWSAccess` were attached beside them.
   */
  implicitDeny?: boolean;
  /** Decide each distinct request once (one policy at a time): for many calls against one SCP. */
  cache?: DecisionCache;
}

/**
 * Would these service control policies deny the request? SCPs never grant: the answer is
 * `deny`, `not-denied`, `undetermined` (it depends on an unknown key), or `not-deniable` for the
 * calls no policy can deny.
 */
export function wouldDeny(
  policies: Policy | readonly Policy[],
  request: RequestContext,
  options?: WouldDenyOptions,
): { verdict: DenyVerdict; decision: Decision } {
  const list: readonly Policy[] = Array.isArray(policies) ? policies : [policies as Policy];
  const decision =
    options?.cache && list.length === 1
      ? options.cache.evaluate(list[0]!, request, { kind: "scp" })
      : evaluatePolicies(list, request, { kind: "scp" });
  if (NOT_DENIABLE.has(request.action.toLowerCase())) return { verdict: "not-deniable", decision };
  const denied: Truth = options?.implicitDeny ? not3(decision.allowed) : decision.explicitDeny;
  const verdict: DenyVerdict =
    denied === true ? "deny" : denied === false ? "not-denied" : "undetermined";
  return { verdict, decision };
}

/** The condition keys a policy tests, and the variables it substitutes, each once as first written. */
export function summarizeConditionKeys(policy: Policy | readonly Policy[]): {
  keys: string[];
  variables: string[];
  byOperator: Record<string, string[]>;
} {
  const list: readonly Policy[] = Array.isArray(policy) ? policy : [policy as Policy];
  const keys = new Map<string, string>();
  const variables = new Map<string, string>();
  const byOperator: Record<string, string[]> = {};
  const addVariable = (name: string): void => {
    if (!variables.has(name.toLowerCase())) variables.set(name.toLowerCase(), name);
  };
  for (const p of list) {
    for (const s of p.statements) {
      for (const c of s.conditions) {
        if (!keys.has(c.keyLower)) keys.set(c.keyLower, c.key);
        const ops = (byOperator[c.operator] ??= []);
        if (!ops.includes(c.key)) ops.push(c.key);
        for (const t of c.values)
          for (const part of t.parts ?? []) if ("variable" in part) addVariable(part.variable);
      }
      for (const t of [...(s.resource ?? []), ...(s.notResource ?? [])]) {
        for (const part of t.parts ?? []) if ("variable" in part) addVariable(part.variable);
      }
    }
  }
  return { keys: [...keys.values()], variables: [...variables.values()], byOperator };
}
