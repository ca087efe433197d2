/**
 * Suppressions: known-benign patterns a user keeps in a JSON file, e.g. a CI role's new client
 * versions. Every finding a rule takes out is counted against that rule and kept in the result,
 * so nothing disappears silently.
 *
 * File shape: `{"rules": [{"actor": "arn:aws:iam::*:role/ci-*", "field": "user_agent_version",
 * "value": "aws-cli/*", "reason": "CI images update the CLI weekly"}]}` (a bare array of rules is
 * accepted too). `actor` and `value` are globs (`*` any run of characters, `?` one character,
 * case-sensitive); `field` is a finding's field (region, source_ip, source_prefix,
 * user_agent_family, user_agent_version, event_name, error_code, a combination such as
 * region+event_name in any order, hour_of_day, volume), a finding kind (new-region,
 * volume-hourly, ...) or `*`.
 */
import { readFile } from "node:fs/promises";
import type { Finding } from "./finding.js";
import { FINDING_KINDS } from "./finding.js";
import { FIRST_SEEN_FIELDS, parseFieldName } from "./first-seen.js";

export interface SuppressionRule {
  actor: string;
  field: string;
  value: string;
  reason: string;
  /** Optional name for reports; the rule's position is used otherwise. */
  id?: string;
}

export interface SuppressionCount {
  /** Position of the rule in the file, from 0. */
  index: number;
  rule: SuppressionRule;
  findings: number;
  events: number;
}

export interface SuppressionOutcome {
  kept: Finding[];
  suppressed: { finding: Finding; rule: number }[];
  byRule: SuppressionCount[];
}

/** A suppression file a user can fix: which file, which rule field, what was wrong. */
export class SuppressionFileError extends Error {
  constructor(
    readonly code: "suppression-unreadable" | "suppression-invalid",
    readonly file: string,
    readonly field: string | null,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
    this.name = "SuppressionFileError";
  }
}

/** What a rule's `field` may name, besides any combination of first-seen fields. */
export const SUPPRESSIBLE_FIELDS: readonly string[] = [
  "*",
  ...FIRST_SEEN_FIELDS,
  "hour_of_day",
  "volume",
  ...FINDING_KINDS,
];

/**
 * A rule's field as findings spell it: one of SUPPRESSIBLE_FIELDS, or a combination in the
 * canonical order (`event_name+region` becomes `region+event_name`); null when it is neither.
 */
function ruleField(field: string): string | null {
  if (SUPPRESSIBLE_FIELDS.includes(field)) return field;
  const parts = parseFieldName(field);
  return typeof parts === "string" ? null : parts.join("+");
}

export async function loadSuppressions(path: string): Promise<SuppressionRule[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new SuppressionFileError(
      "suppression-unreadable",
      path,
      null,
      null,
      `cannot read suppression file ${path}: ${(e as Error).message}`,
    );
  }
  return parseSuppressions(text, path);
}

export function parseSuppressions(text: string, file = "<suppressions>"): SuppressionRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SuppressionFileError(
      "suppression-invalid",
      file,
      null,
      null,
      `${file} is not JSON: ${(e as Error).message}`,
    );
  }
  const rules = Array.isArray(doc) ? doc : (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules)) {
    throw new SuppressionFileError(
      "suppression-invalid",
      file,
      "rules",
      doc,
      `${file} must be {"rules": [...]} or an array of rules`,
    );
  }
  return rules.map((r, i) => checkRule(r, i, file));
}

/**
 * Checks one rule (the `i`-th of `file`) and returns it with its field as findings spell it;
 * rules given to runBaseline directly go through here too.
 */
export function checkRule(raw: unknown, i: number, file: string): SuppressionRule {
  const bad = (field: string, value: unknown, why: string) =>
    new SuppressionFileError(
      "suppression-invalid",
      file,
      `rules[${i}].${field}`,
      value,
      `${file}: rules[${i}].${field} ${why}`,
    );
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw bad("", raw, "must be an object with actor, field, value and reason");
  }
  const r = raw as Record<string, unknown>;
  for (const key of ["actor", "field", "value", "reason"]) {
    if (typeof r[key] !== "string" || (r[key] as string).length === 0) {
      throw bad(key, r[key], "must be a non-empty string");
    }
  }
  const field = ruleField(r.field as string);
  if (field === null) {
    throw bad(
      "field",
      r.field,
      `must be one of ${SUPPRESSIBLE_FIELDS.join(", ")}, or fields joined by + (region+event_name); got ${JSON.stringify(r.field)}`,
    );
  }
  if (r.id !== undefined && typeof r.id !== "string") throw bad("id", r.id, "must be a string");
  const rule: SuppressionRule = {
    actor: r.actor as string,
    field,
    value: r.value as string,
    reason: r.reason as string,
  };
  if (typeof r.id === "string") rule.id = r.id;
  return rule;
}

/** A glob as a whole-string regular expression: `*` any run, `?` one character. */
export function globRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "s");
}

/** Applies the rules in order (the first match takes the finding) and counts what each took. */
export function applySuppressions(
  findings: Finding[],
  rules: SuppressionRule[],
): SuppressionOutcome {
  const compiled = rules.map((rule) => ({
    rule,
    actor: globRegExp(rule.actor),
    value: globRegExp(rule.value),
  }));
  const byRule: SuppressionCount[] = rules.map((rule, index) => ({
    index,
    rule,
    findings: 0,
    events: 0,
  }));
  const kept: Finding[] = [];
  const suppressed: { finding: Finding; rule: number }[] = [];
  for (const f of findings) {
    const hit = compiled.findIndex(
      (c) =>
        (c.rule.field === "*" || c.rule.field === f.field || c.rule.field === f.kind) &&
        c.actor.test(f.actor) &&
        c.value.test(f.value),
    );
    if (hit < 0) {
      kept.push(f);
      continue;
    }
    suppressed.push({ finding: f, rule: hit });
    byRule[hit]!.findings++;
    byRule[hit]!.events += f.eventCount;
  }
  return { kept, suppressed, byRule };
}
