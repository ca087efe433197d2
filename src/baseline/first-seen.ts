/**
 * First-seen ("new terms") findings: per actor, values of a field seen in the detection window
 * and never in the baseline. Each finding rests on the first burst of the new value (its events
 * until a gap longer than the grouping gap): that is when the value was new. Later uses are
 * counted, not listed.
 */
import type { FindingKind } from "./finding.js";
import { BaselineOptionError } from "./windows.js";
import { ACTORS_TABLE, SCOPE_TABLE } from "./scope.js";
import type { SqlRunner } from "./sql-runner.js";

/** A column of the scope table, or an expression over them, given the table's alias. */
type Expr = (alias: string) => string;

/**
 * The fields a first-seen term can compare, as columns of the scope table (scope.ts). Their
 * order is the order of the parts of a combination's name and value.
 */
export const FIRST_SEEN_FIELDS = [
  "region",
  "source_prefix",
  "source_ip",
  "user_agent_family",
  "user_agent_version",
  "event_name",
  "error_code",
] as const;
export type FirstSeenField = (typeof FIRST_SEEN_FIELDS)[number];

export function isFirstSeenField(value: string): value is FirstSeenField {
  return (FIRST_SEEN_FIELDS as readonly string[]).includes(value);
}

/** Most fields a combination may join (region + event name + client, say). */
export const MAX_COMBINATION_FIELDS = 3;

const FIELD_WORDS: Record<FirstSeenField, { kind: FindingKind; one: string; many: string }> = {
  region: { kind: "new-region", one: "region", many: "regions" },
  source_prefix: { kind: "new-source-prefix", one: "network", many: "networks" },
  source_ip: { kind: "new-source-ip", one: "address", many: "addresses" },
  user_agent_family: { kind: "new-user-agent-family", one: "client", many: "clients" },
  user_agent_version: {
    kind: "new-user-agent-version",
    one: "client version",
    many: "client versions",
  },
  event_name: { kind: "new-event-name", one: "event name", many: "event names" },
  error_code: { kind: "new-error-code", one: "error code", many: "error codes" },
};

/** The human name of one value of a field: "region", "network", "client version". */
export function fieldNoun(field: FirstSeenField): string {
  return FIELD_WORDS[field].one;
}

/**
 * What a finer field is judged within: a new address inside a known network is its own, weak,
 * kind, and a new network carries the weight (and lists its addresses), so one event is never
 * counted twice; a new version is only news for a known client (a new client says it already).
 * Asking for the finer field brings the coarser one along.
 */
const JUDGED_WITHIN: Partial<Record<FirstSeenField, FirstSeenField>> = {
  source_ip: "source_prefix",
  user_agent_version: "user_agent_family",
};

/** The terms run when the caller chooses none: every field, and two combinations. */
export const DEFAULT_FIELDS: readonly string[] = [
  ...FIRST_SEEN_FIELDS,
  "region+event_name",
  "source_prefix+user_agent_family",
];

export interface TermSpec {
  kind: FindingKind;
  /** The field's name in findings and suppression rules: `region`, `region+event_name`. */
  field: string;
  /** The fields it compares (one, or the parts of a combination). */
  parts: FirstSeenField[];
  /** Human name of one value ("region", "region + event name") and of several ("regions"). */
  noun: string;
  nounPlural: string;
  value: Expr;
  /** Parts that must each be known for the actor: a new combination of known values. */
  known: Expr[];
  /** List the new addresses the value covers (for networks). */
  withAddresses: boolean;
}

const col =
  (name: string): Expr =>
  (a) =>
    `${a}.${name}`;

/**
 * Reads a field or a combination (`region+event_name`): its parts, in the canonical order, or
 * an error message saying what is wrong with it.
 */
export function parseFieldName(name: string): FirstSeenField[] | string {
  const parts = name.split("+").map((p) => p.trim());
  const unknown = parts.filter((p) => !isFirstSeenField(p));
  if (unknown.length) {
    return `unknown field ${unknown.map((u) => JSON.stringify(u)).join(", ")}; fields are ${FIRST_SEEN_FIELDS.join(", ")}, alone or joined by + (up to ${MAX_COMBINATION_FIELDS})`;
  }
  if (parts.length > MAX_COMBINATION_FIELDS) {
    return `a combination joins at most ${MAX_COMBINATION_FIELDS} fields, got ${parts.length}`;
  }
  if (new Set(parts).size !== parts.length) return "a combination names a field twice";
  return (parts as FirstSeenField[]).sort(
    (a, b) => FIRST_SEEN_FIELDS.indexOf(a) - FIRST_SEEN_FIELDS.indexOf(b),
  );
}

/**
 * The terms for a choice of fields and combinations, with the fields as they ran (canonical
 * names, the coarser field a finer one needs added, duplicates dropped).
 */
export function resolveTerms(fields: readonly string[]): { fields: string[]; terms: TermSpec[] } {
  if (!Array.isArray(fields)) {
    throw new BaselineOptionError("invalid-field", "fields", fields, "fields must be a list");
  }
  const chosen: FirstSeenField[][] = [];
  const add = (parts: FirstSeenField[]) => {
    if (!chosen.some((c) => c.join("+") === parts.join("+"))) chosen.push(parts);
  };
  for (const name of fields) {
    const parts = typeof name === "string" ? parseFieldName(name) : "is not a string";
    if (typeof parts === "string") {
      throw new BaselineOptionError(
        "invalid-field",
        "fields",
        name,
        `fields: ${JSON.stringify(name)}: ${parts}`,
      );
    }
    const within = parts.length === 1 ? JUDGED_WITHIN[parts[0]!] : undefined;
    if (within) add([within]);
    add(parts);
  }
  const singles = new Set(chosen.filter((c) => c.length === 1).map((c) => c[0]!));
  const terms = chosen.map((parts): TermSpec => {
    const field = parts.join("+");
    if (parts.length === 1) {
      const f = parts[0]!;
      const within = JUDGED_WITHIN[f];
      return {
        kind: FIELD_WORDS[f].kind,
        field,
        parts,
        noun: FIELD_WORDS[f].one,
        nounPlural: FIELD_WORDS[f].many,
        value: col(f),
        known: within ? [col(within)] : [],
        withAddresses: f === "source_prefix",
      };
    }
    const noun = parts.map((p) => FIELD_WORDS[p].one).join(" + ");
    return {
      kind: "new-combination",
      field,
      parts,
      noun,
      nounPlural: `${noun} combinations`,
      value: (a) => parts.map((p) => `${a}.${p}`).join(" || ' + ' || "),
      // A part that is new on its own is its own term's finding, when that term runs; the
      // combination only speaks for known parts met together for the first time.
      known: parts.filter((p) => singles.has(p)).map(col),
      withAddresses: false,
    };
  });
  return { fields: chosen.map((c) => c.join("+")), terms };
}

export interface FirstSeenRow {
  actor: string;
  value: string;
  /** Events of the first burst. */
  n: number;
  /** Events with the value in the whole detection window, and in how many bursts. */
  total: number;
  bursts: number;
  first_seen: string;
  last_seen: string;
  event_ids: string[];
  addresses: string[] | null;
  /** For a combination: the parts whose values are new to the actor on their own. */
  new_parts: string[];
  baseline_days: number;
  baseline_values: string[];
  baseline_value_count: number;
}

export interface FirstSeenOptions {
  minHistoryDays: number;
  eventIdLimit: number;
  /** Gap that ends a burst. */
  gapMinutes: number;
  /** How many baseline values an explanation lists. */
  valueLimit: number;
}

export function firstSeenSql(term: TermSpec): string {
  const v = term.value;
  const known = term.known
    .map(
      (k) => `
    AND EXISTS (SELECT 1 FROM ${SCOPE_TABLE} b
                WHERE NOT b.detect AND b.actor = s.actor AND ${k("b")} = ${k("s")})`,
    )
    .join("");
  const addresses = term.withAddresses
    ? "list_sort(list(DISTINCT address) FILTER (WHERE burst = 0))[1:$value_limit]"
    : "NULL::VARCHAR[]";
  // For a combination: each part's value, to tell which parts are new to the actor on their own.
  const combination = term.parts.length > 1;
  const partColumns = combination ? term.parts.map((p, i) => `, s.${p} AS part_${i}`).join("") : "";
  const partValues = combination
    ? term.parts.map((_, i) => `,\n    any_value(part_${i}) AS part_${i}`).join("")
    : "";
  const newParts = combination
    ? `list_filter([${term.parts
        .map(
          (p, i) => `CASE WHEN NOT EXISTS (SELECT 1 FROM ${SCOPE_TABLE} b
        WHERE NOT b.detect AND b.actor = f.actor AND b.${p} = f.part_${i}) THEN '${p}' END`,
        )
        .join(",\n      ")}], x -> x IS NOT NULL)`
    : "[]::VARCHAR[]";
  return `WITH scored AS (
  SELECT actor, baseline_days FROM ${ACTORS_TABLE} WHERE baseline_days >= $min_days
),
new_rows AS (
  SELECT s.actor, ${v("s")} AS value, s.event_time, s.event_id, s.source_ip AS address${partColumns}
  FROM ${SCOPE_TABLE} s SEMI JOIN scored USING (actor)
  WHERE s.detect AND ${v("s")} IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${SCOPE_TABLE} b
                    WHERE NOT b.detect AND b.actor = s.actor AND ${v("b")} = ${v("s")})${known}
),
breaks AS (
  SELECT *, CASE WHEN event_time - lag(event_time) OVER w > to_minutes($gap_minutes::BIGINT)
    THEN 1 ELSE 0 END AS brk
  FROM new_rows WINDOW w AS (PARTITION BY actor, value ORDER BY event_time, event_id)
),
bursts AS (
  SELECT *, sum(brk) OVER (PARTITION BY actor, value ORDER BY event_time, event_id
                           ROWS UNBOUNDED PRECEDING) AS burst
  FROM breaks
),
found AS (
  SELECT actor, value,
    count(*) FILTER (WHERE burst = 0) AS n,
    count(*) AS total,
    max(burst) + 1 AS bursts,
    min(event_time) AS first_seen,
    max(event_time) FILTER (WHERE burst = 0) AS last_seen,
    min_by(event_id, {'t': event_time, 'id': event_id}, $id_limit) FILTER (WHERE burst = 0) AS event_ids,
    ${addresses} AS addresses${partValues}
  FROM bursts GROUP BY actor, value
),
history AS (
  SELECT s.actor, list_sort(list(DISTINCT ${v("s")}))[1:$value_limit] AS baseline_values,
    count(DISTINCT ${v("s")}) AS baseline_value_count
  FROM ${SCOPE_TABLE} s SEMI JOIN found USING (actor)
  WHERE NOT s.detect AND ${v("s")} IS NOT NULL
  GROUP BY s.actor
)
SELECT f.actor, f.value, f.n, f.total, f.bursts, f.first_seen, f.last_seen, f.event_ids,
  f.addresses, ${newParts} AS new_parts, a.baseline_days,
  coalesce(h.baseline_values, []) AS baseline_values,
  coalesce(h.baseline_value_count, 0) AS baseline_value_count
FROM found f JOIN scored a USING (actor) LEFT JOIN history h USING (actor)
ORDER BY f.actor, f.value`;
}

export async function findFirstSeen(
  sql: SqlRunner,
  terms: readonly TermSpec[],
  options: FirstSeenOptions,
): Promise<{ term: TermSpec; rows: FirstSeenRow[] }[]> {
  const out: { term: TermSpec; rows: FirstSeenRow[] }[] = [];
  for (const term of terms) {
    const rows = await sql.rows<FirstSeenRow>(`first-seen ${term.field}`, firstSeenSql(term), {
      min_days: options.minHistoryDays,
      id_limit: options.eventIdLimit,
      gap_minutes: options.gapMinutes,
      value_limit: options.valueLimit,
    });
    out.push({ term, rows });
  }
  return out;
}
