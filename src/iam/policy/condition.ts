/**
 * The `Condition` element: every operator family IAM documents, with `...IfExists`,
 * `ForAnyValue:` and `ForAllValues:`, evaluated in three-valued logic.
 *
 * Rules (AWS's documented behaviour): all operators of a block AND, all keys of an operator AND,
 * the values of one key OR. Key names are case-insensitive; String values are case-sensitive
 * unless the operator says IgnoreCase. A missing key makes a positive operator false and a
 * negated one (`...NotEquals`, `...NotLike`, `NotIpAddress`) true; `IfExists` makes a missing key
 * true. `ForAllValues:` over a missing or empty key is true, `ForAnyValue:` is false, whatever the
 * operator; inside them `IfExists` changes nothing. An unknown key makes the entry unknown.
 */

import type { ConditionEntry } from "./document.js";
import { and3, not3, or3, type PreparedContext, type Truth } from "./context.js";
import { globMatches, regexFor, resolveTemplate, type Template } from "./variables.js";

export type OperatorFamily =
  "String" | "Numeric" | "Date" | "Bool" | "Binary" | "Ip" | "Arn" | "Null";
type Comparison = "eq" | "eqi" | "like" | "lt" | "le" | "gt" | "ge" | "in" | "null";

/** What an operator name means once its prefix and suffix are taken off. */
export interface OperatorInfo {
  /** The base operator, canonically spelled (`StringNotLike`). */
  base: string;
  family: OperatorFamily;
  comparison: Comparison;
  /** True for the operators that hold when no policy value matches (`StringNotEquals`...). */
  negated: boolean;
  ifExists: boolean;
  set?: "ForAnyValue" | "ForAllValues";
}

const BASE: Record<string, [OperatorFamily, Comparison, boolean]> = {
  StringEquals: ["String", "eq", false],
  StringNotEquals: ["String", "eq", true],
  StringEqualsIgnoreCase: ["String", "eqi", false],
  StringNotEqualsIgnoreCase: ["String", "eqi", true],
  StringLike: ["String", "like", false],
  StringNotLike: ["String", "like", true],
  NumericEquals: ["Numeric", "eq", false],
  NumericNotEquals: ["Numeric", "eq", true],
  NumericLessThan: ["Numeric", "lt", false],
  NumericLessThanEquals: ["Numeric", "le", false],
  NumericGreaterThan: ["Numeric", "gt", false],
  NumericGreaterThanEquals: ["Numeric", "ge", false],
  DateEquals: ["Date", "eq", false],
  DateNotEquals: ["Date", "eq", true],
  DateLessThan: ["Date", "lt", false],
  DateLessThanEquals: ["Date", "le", false],
  DateGreaterThan: ["Date", "gt", false],
  DateGreaterThanEquals: ["Date", "ge", false],
  Bool: ["Bool", "eq", false],
  BinaryEquals: ["Binary", "eq", false],
  IpAddress: ["Ip", "in", false],
  NotIpAddress: ["Ip", "in", true],
  // IAM documents ArnEquals and ArnLike as the same test: each of the six parts globbed.
  ArnEquals: ["Arn", "like", false],
  ArnLike: ["Arn", "like", false],
  ArnNotEquals: ["Arn", "like", true],
  ArnNotLike: ["Arn", "like", true],
  Null: ["Null", "null", false],
};
const BASE_BY_LOWER = new Map(Object.keys(BASE).map((name) => [name.toLowerCase(), name]));

/** The canonical names of all base operators. */
export const CONDITION_OPERATORS: readonly string[] = Object.keys(BASE);

/** Reads `ForAnyValue:StringLikeIfExists` and the like; undefined for an unknown operator. */
export function parseOperator(operator: string): OperatorInfo | undefined {
  let rest = operator.trim();
  let set: OperatorInfo["set"];
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    const prefix = rest.slice(0, colon).toLowerCase();
    if (prefix === "foranyvalue") set = "ForAnyValue";
    else if (prefix === "forallvalues") set = "ForAllValues";
    else return undefined;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  let base = BASE_BY_LOWER.get(rest.toLowerCase());
  if (base === undefined && rest.toLowerCase().endsWith("ifexists")) {
    base = BASE_BY_LOWER.get(rest.slice(0, -"ifexists".length).toLowerCase());
    ifExists = true;
    if (base === "Null") return undefined; // IAM has no NullIfExists.
  }
  if (base === undefined) return undefined;
  const [family, comparison, negated] = BASE[base]!;
  const info: OperatorInfo = { base, family, comparison, negated, ifExists };
  if (set) info.set = set;
  return info;
}

/** How one condition entry was evaluated, for the explanation of a decision. */
export interface ConditionTrace {
  field: string;
  operator: string;
  key: string;
  /** The request's value(s) for the key, or whether it was absent or unknown. */
  context: string[] | "absent" | "unknown";
  /** The policy's values, as written. */
  values: string[];
  result: Truth;
  /** Keys (or variables) whose unknown value made the result unknown. */
  unknownKeys: string[];
}

// ---- value parsing, cached per policy value ----------------------------------------------------

type Ip = { bytes: number[] };
type Cidr = { bytes: number[]; prefix: number };

function parseIPv4(s: string): number[] | undefined {
  // A hand-rolled scan: this runs for every request value an IpAddress condition sees.
  const out: number[] = [];
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const ch = i < s.length ? s.charCodeAt(i) : 46; // a virtual "." ends the last part
    if (ch === 46) {
      if (digits === 0 || n > 255) return undefined;
      out.push(n);
      n = 0;
      digits = 0;
    } else if (ch >= 48 && ch <= 57 && digits < 3) {
      n = n * 10 + (ch - 48);
      digits++;
    } else return undefined;
  }
  return out.length === 4 ? out : undefined;
}

function parseIPv6(s: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let tail: number[] = [];
  let text = s;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    // An IPv4 tail: `::ffff:192.0.2.1`.
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** An IP address; an IPv4-mapped IPv6 address becomes IPv4. Undefined for anything else. */
export function parseIp(s: string): Ip | undefined {
  const text = s.trim();
  const v4 = parseIPv4(text);
  if (v4) return { bytes: v4 };
  const v6 = parseIPv6(text);
  if (!v6) return undefined;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return { bytes: mapped ? v6.slice(12) : v6 };
}

/** A CIDR block (`10.0.0.0/8`, `2001:db8::/32`), or a bare address as a /32 or /128. */
export function parseCidr(s: string): Cidr | undefined {
  const [addr, bits, extra] = s.trim().split("/");
  if (extra !== undefined || addr === undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const max = ip.bytes.length * 8;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return undefined;
  return { bytes: ip.bytes, prefix };
}

function cidrContains(c: Cidr, ip: Ip): boolean {
  if (c.bytes.length !== ip.bytes.length) return false;
  let bits = c.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((c.bytes[i]! & mask) !== (ip.bytes[i]! & mask)) return false;
  }
  return true;
}

function parseNumber(s: string): number | undefined {
  const text = s.trim();
  if (text === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Milliseconds since the epoch of an ISO 8601 date or of epoch seconds; undefined otherwise. */
export function parseDate(s: string): number | undefined {
  let text = s.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // A date-time without a zone is UTC in IAM; JavaScript would read it as local time.
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text += "Z";
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The six colon-separated parts of an ARN (the last may hold colons), or undefined. */
export function splitArn(s: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const colon = s.indexOf(":", start);
    if (colon < 0) return undefined;
    parts.push(s.slice(start, colon));
    start = colon + 1;
  }
  parts.push(s.slice(start));
  return parts;
}

// Parsed forms of policy values without variables, computed once per value.
const parsedCache = new WeakMap<Template, unknown>();
function cached<T>(t: Template, text: string, parse: (s: string) => T): T {
  if (t.parts !== undefined) return parse(text);
  if (parsedCache.has(t)) return parsedCache.get(t) as T;
  const value = parse(text);
  parsedCache.set(t, value);
  return value;
}

function arnPartsOf(text: string): Template[] | undefined {
  const parts = splitArn(text);
  return parts?.map((raw) => ({ raw }));
}

function arnMatches(t: Template, text: string, value: string): boolean {
  const pattern = cached(t, text, arnPartsOf);
  // A value that is not a six-part ARN (`*`, say) is matched as one glob over the whole string.
  if (pattern === undefined) return globMatches({ raw: text }, value, false);
  const parts = splitArn(value);
  if (parts === undefined) return false;
  for (let i = 0; i < 6; i++) if (!globMatches(pattern[i]!, parts[i]!, false)) return false;
  return true;
}

/**
 * Whether one request value matches one (substituted) policy value, for a positive comparison.
 * A value that cannot be read as the family's type (a service name as a source IP, a word as a
 * number) matches nothing; it is never an error.
 */
function compare(
  info: OperatorInfo,
  t: Template,
  text: string,
  globSource: string,
  value: string,
): boolean {
  switch (info.family) {
    case "String":
      if (info.comparison === "eq") return text === value;
      if (info.comparison === "eqi") return text.toLowerCase() === value.toLowerCase();
      return t.parts === undefined
        ? globMatches(t, value, false)
        : regexFor(globSource, false).test(value);
    case "Bool":
      return text.toLowerCase() === value.toLowerCase();
    case "Binary":
      return text === value;
    case "Arn":
      return arnMatches(t, text, value);
    case "Ip": {
      const cidr = cached(t, text, parseCidr);
      const ip = parseIp(value);
      return cidr !== undefined && ip !== undefined && cidrContains(cidr, ip);
    }
    case "Numeric":
    case "Date": {
      const parse = info.family === "Numeric" ? parseNumber : parseDate;
      const p = cached(t, text, parse);
      const v = parse(value);
      if (p === undefined || v === undefined) return false;
      switch (info.comparison) {
        case "eq":
          return v === p;
        case "lt":
          return v < p;
        case "le":
          return v <= p;
        case "gt":
          return v > p;
        case "ge":
          return v >= p;
        default:
          return false;
      }
    }
    case "Null":
      return false;
  }
}

/** Whether a request value matches any policy value (positive sense); unknown via variables. */
function matchAny(
  entry: ConditionEntry,
  value: string,
  ctx: PreparedContext,
  unknown: string[],
): Truth {
  let result: Truth = false;
  for (const t of entry.values) {
    if (t.parts === undefined) {
      if (compare(entry.info, t, t.raw, "", value)) return true;
      continue;
    }
    const r = resolveTemplate(t, ctx);
    if (r.state === "unknown") {
      if (!unknown.includes(r.key)) unknown.push(r.key);
      result = "unknown";
    } else if (r.state === "value" && compare(entry.info, t, r.text, r.globSource, value)) {
      return true;
    }
    // A variable with no value leaves a policy value that matches nothing.
  }
  return result;
}

/** Evaluates one condition entry against a prepared request. */
export function evaluateCondition(entry: ConditionEntry, ctx: PreparedContext): ConditionTrace {
  const { info } = entry;
  const found = ctx.lookup(entry.keyLower);
  let unknown: string[] = [];
  let result: Truth;
  if (found.state === "unknown") {
    unknown.push(entry.key);
    result = "unknown";
  } else if (info.family === "Null") {
    // `Null: true` holds when the key is absent, `Null: false` when it is present.
    const present = found.state === "present";
    result = entry.values.some((t) => {
      const v = t.raw.toLowerCase();
      return (v === "true" && !present) || (v === "false" && present);
    });
  } else if (found.state === "absent") {
    if (info.set === "ForAllValues") result = true;
    else if (info.set === "ForAnyValue") result = false;
    else result = info.ifExists || info.negated;
  } else {
    // Per request value: does it satisfy the operator? (For a negated operator: matches no value.)
    const each = (v: string): Truth => {
      const m = matchAny(entry, v, ctx, unknown);
      return info.negated ? not3(m) : m;
    };
    if (info.set === "ForAllValues" || (info.set === undefined && info.negated)) {
      // Every value must satisfy it; for a plain negated operator on a multi-valued key this reads
      // "no request value matches any policy value".
      result = true;
      for (const v of found.values) {
        result = and3(result, each(v));
        if (result === false) break;
      }
    } else {
      result = false;
      for (const v of found.values) {
        result = or3(result, each(v));
        if (result === true) break;
      }
    }
  }
  if (result !== "unknown") unknown = [];
  return {
    field: entry.field,
    operator: entry.operator,
    key: entry.key,
    context: found.state === "present" ? found.values : found.state,
    values: entry.values.map((t) => t.raw),
    result,
    unknownKeys: unknown,
  };
}
