/**
 * Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`) and the glob
 * patterns (`*`, `?`) that Resource, Action and the `...Like` operators use.
 *
 * A value is parsed once into a template; at evaluation the variables are replaced from the
 * request. Text written in the policy keeps its wildcards; the escapes `${*}`, `${?}`, `${$}` and
 * substituted values are literal (a tag value holding `*` does not become a wildcard).
 * Variables exist only in policies of Version `2012-10-17`: in older ones `${...}` is plain text.
 */

import type { PreparedContext } from "./context.js";

/** A piece of a value: policy text (wildcards active when `glob`) or a variable to substitute. */
export type TemplatePart =
  | { text: string; glob: boolean }
  | { variable: string; keyLower: string; fallback: string | undefined };

/** A policy value prepared for matching. `parts` is absent when the value has no variable. */
export interface Template {
  raw: string;
  parts?: TemplatePart[];
  /** Lazily compiled glob of `raw`, case-sensitive and case-insensitive. */
  cs?: RegExp;
  ci?: RegExp;
}

/**
 * A template after substitution: its literal text, and the regex source of it as a glob; or no
 * value (a variable whose key is absent, or multi-valued, with no default); or unknown (a variable
 * whose key is unknown).
 */
export type Resolved =
  | { state: "value"; text: string; globSource: string }
  | { state: "none"; key: string }
  | { state: "unknown"; key: string };

const ESCAPES: Record<string, string> = { "*": "*", "?": "?", $: "$" };

/** Parses a policy value; `variables` is false for policies older than 2012-10-17. */
export function parseTemplate(raw: string, variables: boolean): Template {
  if (!variables || !raw.includes("${")) return { raw };
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < raw.length) {
    const start = raw.indexOf("${", i);
    const end = start < 0 ? -1 : raw.indexOf("}", start + 2);
    if (start < 0 || end < 0) {
      text += raw.slice(i);
      break;
    }
    text += raw.slice(i, start);
    const inner = raw.slice(start + 2, end);
    const escaped = ESCAPES[inner];
    if (escaped !== undefined) {
      if (text) parts.push({ text, glob: true });
      text = "";
      parts.push({ text: escaped, glob: false });
    } else {
      if (text) parts.push({ text, glob: true });
      text = "";
      // `${key, 'default'}`: the default is used when the key has no value.
      const comma = inner.indexOf(",");
      const name = (comma < 0 ? inner : inner.slice(0, comma)).trim();
      let fallback: string | undefined;
      if (comma >= 0) {
        const rest = inner.slice(comma + 1).trim();
        fallback = /^'.*'$/s.test(rest) ? rest.slice(1, -1) : rest;
      }
      parts.push({ variable: name, keyLower: name.toLowerCase(), fallback });
    }
    i = end + 1;
  }
  if (text) parts.push({ text, glob: true });
  return { raw, parts };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The regex source of a glob: `*` any run of characters, `?` exactly one. */
export function globToSource(glob: string): string {
  let out = "";
  for (const ch of glob) {
    if (ch === "*") out += ".*";
    else if (ch === "?") out += ".";
    else out += escapeRegex(ch);
  }
  return out;
}

// Patterns built from substituted values differ per request; a bounded cache keeps repeated
// requests fast without growing without limit.
const regexCache = new Map<string, RegExp>();

/** A compiled, anchored regex for a glob source; cached. */
export function regexFor(source: string, ignoreCase: boolean): RegExp {
  const cacheKey = (ignoreCase ? "i" : "s") + source;
  let re = regexCache.get(cacheKey);
  if (re === undefined) {
    if (regexCache.size > 5000) regexCache.clear();
    re = new RegExp(`^${source}$`, ignoreCase ? "is" : "s");
    regexCache.set(cacheKey, re);
  }
  return re;
}

/** Substitutes a template's variables from the request. */
export function resolveTemplate(t: Template, ctx: PreparedContext): Resolved {
  if (t.parts === undefined)
    return { state: "value", text: t.raw, globSource: globToSource(t.raw) };
  let text = "";
  let globSource = "";
  for (const p of t.parts) {
    let piece: string;
    let glob: boolean;
    if ("variable" in p) {
      const found = ctx.lookup(p.keyLower);
      if (found.state === "unknown") return { state: "unknown", key: p.variable };
      // A multi-valued key cannot be a variable: AWS treats it as having no value.
      if (found.state === "present" && found.values.length === 1) piece = found.values[0]!;
      else if (p.fallback !== undefined) piece = p.fallback;
      else return { state: "none", key: p.variable };
      glob = false;
    } else {
      piece = p.text;
      glob = p.glob;
    }
    text += piece;
    globSource += glob ? globToSource(piece) : escapeRegex(piece);
  }
  return { state: "value", text, globSource };
}

/** Whether a glob (as written, no variables) matches `value`; fast paths for `*` and literals. */
export function globMatches(t: Template, value: string, ignoreCase: boolean): boolean {
  const raw = t.raw;
  if (raw === "*") return true;
  if (!raw.includes("*") && !raw.includes("?")) {
    return ignoreCase ? raw.toLowerCase() === value.toLowerCase() : raw === value;
  }
  let re = ignoreCase ? t.ci : t.cs;
  if (re === undefined) {
    re = new RegExp(`^${globToSource(raw)}$`, ignoreCase ? "is" : "s");
    if (ignoreCase) t.ci = re;
    else t.cs = re;
  }
  return re.test(value);
}
