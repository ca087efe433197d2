/**
 * `Action`/`NotAction` and `Resource`/`NotResource`: glob matching with `*` (any run of
 * characters) and `?` (exactly one). Actions compare case-insensitively (`s3:getobject` is
 * `s3:GetObject`), resources case-sensitively. Resources may hold policy variables.
 */

import type { Statement } from "./document.js";
import { not3, UNKNOWN_RESOURCE, type PreparedContext, type Truth } from "./context.js";
import { globMatches, regexFor, resolveTemplate, type Template } from "./variables.js";

/** Whether one element of a statement matched the request, and why, in one short phrase. */
export interface ElementMatch {
  matched: Truth;
  why: string;
  /** What made `matched` unknown (a variable's key, or {@link UNKNOWN_RESOURCE}). */
  unknownKeys: string[];
}

function firstMatch(patterns: Template[], value: string): Template | undefined {
  for (const t of patterns) if (globMatches(t, value, false)) return t;
  return undefined;
}

/** Matches the request's action against `Action` or `NotAction`. */
export function matchAction(s: Statement, ctx: PreparedContext): ElementMatch {
  const action = ctx.action;
  if (s.action) {
    const hit = firstMatch(s.action, action);
    return hit
      ? { matched: true, why: `Action "${hit.raw}" covers ${ctx.request.action}`, unknownKeys: [] }
      : { matched: false, why: `Action does not cover ${ctx.request.action}`, unknownKeys: [] };
  }
  const hit = firstMatch(s.notAction ?? [], action);
  return hit
    ? {
        matched: false,
        why: `NotAction "${hit.raw}" excludes ${ctx.request.action}`,
        unknownKeys: [],
      }
    : { matched: true, why: `NotAction does not exclude ${ctx.request.action}`, unknownKeys: [] };
}

function matchResourceList(
  patterns: Template[],
  resource: string | undefined,
  ctx: PreparedContext,
  unknown: Set<string>,
): { matched: Truth; hit?: string } {
  let matched: Truth = false;
  for (const t of patterns) {
    if (t.raw === "*") return { matched: true, hit: "*" };
    if (resource === undefined) {
      unknown.add(UNKNOWN_RESOURCE);
      matched = "unknown";
      continue;
    }
    if (t.parts === undefined) {
      if (globMatches(t, resource, false)) return { matched: true, hit: t.raw };
      continue;
    }
    const r = resolveTemplate(t, ctx);
    if (r.state === "unknown") {
      unknown.add(r.key);
      matched = "unknown";
    } else if (r.state === "value" && regexFor(r.globSource, false).test(resource)) {
      return { matched: true, hit: t.raw };
    }
    // A variable with no value: the pattern matches no resource.
  }
  return { matched };
}

/**
 * Matches the request's resource against `Resource` or `NotResource`. A statement with neither
 * (a trust policy's) applies to the resource the policy is attached to, so it matches.
 */
export function matchResource(s: Statement, ctx: PreparedContext): ElementMatch {
  const resource = ctx.request.resource;
  const unknown = new Set<string>();
  const shown = resource ?? "the request's resource (not given)";
  if (s.resource) {
    const { matched, hit } = matchResourceList(s.resource, resource, ctx, unknown);
    const why =
      matched === true
        ? `Resource "${hit}" covers ${shown}`
        : matched === false
          ? `Resource does not cover ${shown}`
          : `Resource may or may not cover ${shown}`;
    return { matched, why, unknownKeys: matched === "unknown" ? [...unknown] : [] };
  }
  if (s.notResource) {
    const { matched, hit } = matchResourceList(s.notResource, resource, ctx, unknown);
    const why =
      matched === true
        ? `NotResource "${hit}" excludes ${shown}`
        : matched === false
          ? `NotResource does not exclude ${shown}`
          : `NotResource may or may not exclude ${shown}`;
    return { matched: not3(matched), why, unknownKeys: matched === "unknown" ? [...unknown] : [] };
  }
  return { matched: true, why: "no Resource element: the policy's own resource", unknownKeys: [] };
}
