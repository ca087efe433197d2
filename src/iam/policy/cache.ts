/**
 * Decisions remembered by what the engine reads of a request, for callers that decide many
 * requests against few policies (the trust check decides ~100,000 logged calls against a few
 * trust policies, and most calls repeat a caller, an address and a role).
 *
 * The engine reads a request through four things only: its action and resource as written, its
 * principal (not for identity policies and SCPs), and the lookup of each condition key a statement tests or a policy variable names
 * (`PreparedContext.lookup`: present with values, absent, or unknown). Two requests that agree on
 * all of these get the same decision, explanation included, whatever else they carry (the time,
 * the session name...). So the cache key is exactly that, built from the same lookup the engine
 * uses: a hit cannot return a decision the engine would not have given.
 */
import { prepareContext, type KeyLookup, type RequestContext } from "./context.js";
import type { Policy } from "./document.js";
import { evaluatePrepared, type Decision, type EvaluateOptions } from "./evaluate.js";

/** The condition keys and variable keys a policy can look up, lower-cased, each once. */
export function keysRead(policy: Policy): string[] {
  const keys = new Set<string>();
  const variables = (templates: readonly { parts?: readonly object[] }[] | undefined): void => {
    for (const t of templates ?? []) {
      for (const part of t.parts ?? []) {
        if ("keyLower" in part) keys.add((part as { keyLower: string }).keyLower);
      }
    }
  };
  for (const s of policy.statements) {
    for (const c of s.conditions) {
      keys.add(c.keyLower);
      variables(c.values);
    }
    variables(s.resource);
    variables(s.notResource);
    variables(s.action);
    variables(s.notAction);
  }
  return [...keys].sort();
}

function lookupKey(found: KeyLookup): string {
  return found.state === "present" ? JSON.stringify(found.values) : found.state;
}

/**
 * Evaluates requests against policies, deciding each distinct request (as the engine sees it)
 * once per policy and kind. Decisions are shared between the requests that hit them: treat them
 * as read-only.
 */
export class DecisionCache {
  private readonly reads = new WeakMap<Policy, string[]>();
  private readonly decisions = new WeakMap<Policy, Map<string, Decision>>();
  /** Requests answered from the cache, and requests the engine evaluated. */
  hits = 0;
  misses = 0;

  /** `options` are the default for {@link evaluate} (e.g. `{ kind: "trust" }`). */
  constructor(private readonly options: EvaluateOptions = {}) {}

  evaluate(
    policy: Policy,
    request: RequestContext,
    options: EvaluateOptions = this.options,
  ): Decision {
    let reads = this.reads.get(policy);
    if (reads === undefined) {
      reads = keysRead(policy);
      this.reads.set(policy, reads);
    }
    let decisions = this.decisions.get(policy);
    if (decisions === undefined) {
      decisions = new Map();
      this.decisions.set(policy, decisions);
    }
    const kind = options.kind ?? policy.kind;
    const ctx = prepareContext(request);
    const parts: string[] = [
      kind ?? "",
      request.action,
      request.resource ?? "",
      request.resource === undefined ? "no-resource" : "resource",
      // Identity policies and SCPs apply to their caller whoever it is: the engine does not read
      // the principal for them (see `matchPrincipal`), so callers do not split their decisions.
      kind === "identity" || kind === "scp" ? "" : JSON.stringify(request.principal ?? null),
    ];
    for (const k of reads) parts.push(lookupKey(ctx.lookup(k)));
    const key = JSON.stringify(parts);
    const known = decisions.get(key);
    if (known !== undefined) {
      this.hits++;
      return known;
    }
    this.misses++;
    const decision = evaluatePrepared([policy], ctx, options);
    decisions.set(key, decision);
    return decision;
  }
}
