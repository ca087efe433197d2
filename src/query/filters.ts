/**
 * The options every query helper takes, parsed once: a time range, accounts, principals, event
 * names and regions. Bad input is a {@link QueryOptionsError} naming the option and the value,
 * raised before any SQL runs; good input becomes one WHERE fragment with bound parameters.
 */
import { listValue as duckList, type DuckDBListValue } from "@duckdb/node-api";
import type { SqlParams } from "./case.js";

/** What a caller may pass. Every list is OR within itself; different options AND together. */
export interface QueryFilters {
  /** Inclusive start: an ISO 8601 time (`2026-10-05T09:00:00Z`), a date (`2026-10-05`), or a Date. */
  from?: string | Date;
  /** Exclusive end, in the same forms as `from`. */
  to?: string | Date;
  /** Account ids: the trail's account (`recipient_account_id`) or the caller's (`account_id`). */
  accounts?: string[];
  /**
   * Principals: an `actor` key, a principal ARN, or the ARN of the role behind sessions. The
   * issuing role matches every session of it.
   */
  principals?: string[];
  eventNames?: string[];
  /** Regions: the logged region (`aws_region`) or, for STS, the region that served the call. */
  regions?: string[];
}

/** The same options after validation: times as Dates, lists deduplicated and never undefined. */
export interface NormalizedFilters {
  from: Date | null;
  to: Date | null;
  accounts: string[];
  principals: string[];
  eventNames: string[];
  regions: string[];
}

export const QUERY_OPTION_ERROR_CODES = [
  "time-invalid",
  "time-range-empty",
  "value-invalid",
  "column-unknown",
  "selector-invalid",
  "policy-invalid",
  "policy-regions-unknown",
  "filter-pattern-invalid",
] as const;
export type QueryOptionErrorCode = (typeof QUERY_OPTION_ERROR_CODES)[number];

/** An option a user can correct: `option` names it, `value` is what was given. */
export class QueryOptionsError extends Error {
  override readonly name = "QueryOptionsError";
  constructor(
    readonly code: QueryOptionErrorCode,
    readonly option: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
  }
}

// A date, or a date and time with an optional zone. Without a zone the time is read as UTC:
// CloudTrail times are UTC, and reading them in local time shifts events by hours.
const TIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses one time option; `option` names it in the error. */
export function parseTime(value: string | Date, option: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new QueryOptionsError("time-invalid", option, value, `${option}: invalid Date`);
    }
    return value;
  }
  const text = value.trim();
  const m = TIME_PATTERN.exec(text);
  let parsed = Number.NaN;
  if (m) {
    const [, y, mo, d, h, mi, s, frac, zone] = m;
    const iso =
      `${y}-${mo}-${d}T${h ?? "00"}:${mi ?? "00"}:${s ?? "00"}` +
      `${frac ? "." + frac.slice(0, 3).padEnd(3, "0") : ""}${zone ?? "Z"}`;
    parsed = Date.parse(iso);
    // Date.parse rolls 2026-02-31 over into March: reject dates that do not exist.
    if (!Number.isNaN(parsed) && zone === undefined) {
      const back = new Date(parsed).toISOString();
      if (back.slice(0, 10) !== `${y}-${mo}-${d}`) parsed = Number.NaN;
    }
  }
  if (Number.isNaN(parsed)) {
    throw new QueryOptionsError(
      "time-invalid",
      option,
      value,
      `${option}: ${JSON.stringify(value)} is not a time; use ISO 8601 such as 2026-10-05 or 2026-10-05T09:00:00Z`,
    );
  }
  return new Date(parsed);
}

function list(values: string[] | undefined, option: string): string[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) {
    throw new QueryOptionsError("value-invalid", option, values, `${option} must be a list`);
  }
  const out: string[] = [];
  for (const v of values) {
    if (typeof v !== "string" || v.trim() === "") {
      throw new QueryOptionsError(
        "value-invalid",
        option,
        v,
        `${option}: ${JSON.stringify(v)} is not a non-empty string`,
      );
    }
    if (!out.includes(v.trim())) out.push(v.trim());
  }
  return out;
}

/** A value of a closed list (`fallback` when absent); `option` names it in the error. */
export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  option: string,
  fallback: T,
): T {
  const v = value ?? fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new QueryOptionsError(
      "value-invalid",
      option,
      value,
      `${option} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`,
    );
  }
  return v as T;
}

/** Validates and normalises the options. */
export function normalizeFilters(options: QueryFilters = {}): NormalizedFilters {
  const from = options.from === undefined ? null : parseTime(options.from, "from");
  const to = options.to === undefined ? null : parseTime(options.to, "to");
  if (from && to && from.getTime() >= to.getTime()) {
    throw new QueryOptionsError(
      "time-range-empty",
      "to",
      options.to,
      `the time range is empty: from ${from.toISOString()} is not before to ${to.toISOString()}`,
    );
  }
  return {
    from,
    to,
    accounts: list(options.accounts, "accounts"),
    principals: list(options.principals, "principals"),
    eventNames: list(options.eventNames, "eventNames"),
    regions: list(options.regions, "regions"),
  };
}

/** Splits a comma-separated command-line value into a list (empty parts dropped). */
export function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** A WHERE fragment (without the keyword) and its parameters. */
export interface SqlFragment {
  sql: string;
  params: SqlParams;
}

/**
 * The filters as SQL over `events`, each value a bound parameter prefixed `f_`. `alias` is the
 * table alias to qualify columns with; `regionColumns` the columns a region may match.
 */
export function filtersToSql(
  filters: NormalizedFilters,
  options: { alias?: string; regionColumns?: string[] } = {},
): SqlFragment {
  const col = (name: string) => (options.alias ? `${options.alias}.${name}` : name);
  const parts: string[] = [];
  const params: SqlParams = {};
  if (filters.from) {
    parts.push(`${col("event_time")} >= $f_from::TIMESTAMPTZ`);
    params.f_from = filters.from.toISOString();
  }
  if (filters.to) {
    parts.push(`${col("event_time")} < $f_to::TIMESTAMPTZ`);
    params.f_to = filters.to.toISOString();
  }
  const anyOf = (name: string, values: string[], columns: string[]) => {
    if (values.length === 0) return;
    params[name] = listValue(values);
    parts.push(`(${columns.map((c) => `list_contains($${name}, ${col(c)})`).join(" OR ")})`);
  };
  anyOf("f_accounts", filters.accounts, ["recipient_account_id", "account_id"]);
  anyOf("f_principals", filters.principals, ["actor", "principal_arn", "session_issuer_arn"]);
  anyOf("f_event_names", filters.eventNames, ["event_name"]);
  anyOf("f_regions", filters.regions, options.regionColumns ?? ["aws_region"]);
  return { sql: parts.length ? parts.join(" AND ") : "TRUE", params };
}

/** A list of strings bound as one parameter (a DuckDB VARCHAR[] value). */
export function listValue(values: string[]): DuckDBListValue {
  return duckList(values);
}
