/**
 * The CloudWatch Logs JSON filter pattern syntax that `controls.ts` emits, parsed into a tree
 * that can be matched against a record in JS or translated to SQL over the case file, so that
 * an emitted alarm can be checked against the evidence before anyone deploys it.
 *
 * Supported: `{ <expr> }` where an expression is comparisons `$.a.b = "x"` or `$.a != "x"`
 * joined by `&&` and `||` (`&&` binds tighter) with parentheses; values are quoted strings or
 * bare words, and `*` in a value matches any run of characters.
 *
 * Note: numeric comparisons, `IS NULL`, `EXISTS`, array indexes and regular expressions are part
 * of CloudWatch's syntax but not of this evaluator, which only needs to read what trailbook
 * emits; they are rejected with an error rather than guessed at.
 * Note: a comparison on a field the record lacks matches nothing, with `=` and `!=` alike. That
 * is our reading of CloudWatch's behaviour; the patterns trailbook emits test only fields every
 * CloudTrail record has (eventSource, awsRegion, userIdentity.type), so they do not depend on it.
 */
import type { SqlParams } from "./case.js";
import { QueryOptionsError } from "./filters.js";

export type FilterNode =
  | { kind: "and" | "or"; left: FilterNode; right: FilterNode }
  | { kind: "compare"; path: string[]; op: "=" | "!="; value: string };

type Token = { t: "(" | ")" | "&&" | "||" | "=" | "!=" | "sel" | "str"; v: string; at: number };

function fail(pattern: string, at: number, what: string): never {
  throw new QueryOptionsError(
    "filter-pattern-invalid",
    "pattern",
    pattern,
    `filter pattern, at character ${at + 1}: ${what}`,
  );
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "(" || ch === ")") {
      out.push({ t: ch, v: ch, at: i++ });
    } else if (src.startsWith("&&", i) || src.startsWith("||", i) || src.startsWith("!=", i)) {
      out.push({ t: src.slice(i, i + 2) as Token["t"], v: src.slice(i, i + 2), at: i });
      i += 2;
    } else if (ch === "=") {
      out.push({ t: "=", v: "=", at: i++ });
    } else if (ch === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) fail(src, i, "unterminated string");
      out.push({ t: "str", v: src.slice(i + 1, end), at: i });
      i = end + 1;
    } else if (ch === "$") {
      const m = /^\$(?:\.[A-Za-z_][A-Za-z0-9_-]*)+/.exec(src.slice(i));
      if (!m)
        fail(src, i, "a selector is $ followed by .field parts (array indexes are not supported)");
      out.push({ t: "sel", v: m[0], at: i });
      i += m[0].length;
    } else {
      const m = /^[A-Za-z0-9_.:*/@+-]+/.exec(src.slice(i));
      if (!m) fail(src, i, `unexpected ${JSON.stringify(ch)}`);
      out.push({ t: "str", v: m[0], at: i });
      i += m[0].length;
    }
  }
  return out;
}

/** Parses a JSON filter pattern `{ ... }`; throws QueryOptionsError `filter-pattern-invalid`. */
export function parseFilterPattern(pattern: string): FilterNode {
  const text = pattern.trim();
  if (!text.startsWith("{") || !text.endsWith("}")) {
    fail(pattern, 0, "a JSON filter pattern is enclosed in { }");
  }
  const offset = pattern.indexOf("{") + 1;
  const tokens = tokenize(text.slice(1, -1)).map((t) => ({ ...t, at: t.at + offset }));
  let pos = 0;
  const peek = () => tokens[pos];
  const expect = (t: Token["t"], what: string): Token => {
    const tok = tokens[pos];
    if (!tok || tok.t !== t) fail(pattern, tok?.at ?? pattern.length - 1, `expected ${what}`);
    pos++;
    return tok;
  };
  const comparison = (): FilterNode => {
    if (peek()?.t === "(") {
      pos++;
      const inner = or();
      expect(")", '")"');
      return inner;
    }
    const sel = expect("sel", "a selector such as $.eventSource");
    const opTok = peek();
    if (!opTok || (opTok.t !== "=" && opTok.t !== "!=")) {
      fail(
        pattern,
        opTok?.at ?? pattern.length - 1,
        "expected = or != (other operators are not supported)",
      );
    }
    pos++;
    const value = expect("str", "a value");
    return {
      kind: "compare",
      path: sel.v.slice(2).split("."),
      op: opTok.t as "=" | "!=",
      value: value.v,
    };
  };
  const and = (): FilterNode => {
    let left = comparison();
    while (peek()?.t === "&&") {
      pos++;
      left = { kind: "and", left, right: comparison() };
    }
    return left;
  };
  const or = (): FilterNode => {
    let left = and();
    while (peek()?.t === "||") {
      pos++;
      left = { kind: "or", left, right: and() };
    }
    return left;
  };
  if (tokens.length === 0) fail(pattern, 0, "empty pattern");
  const tree = or();
  if (pos < tokens.length)
    fail(pattern, tokens[pos]!.at, `unexpected ${JSON.stringify(tokens[pos]!.v)}`);
  return tree;
}

function globRegex(value: string): RegExp {
  const source = value.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${source}$`, "s");
}

/** Whether a record (a parsed CloudTrail event) matches the pattern. */
export function matchFilterPattern(tree: FilterNode, record: unknown): boolean {
  switch (tree.kind) {
    case "and":
      return matchFilterPattern(tree.left, record) && matchFilterPattern(tree.right, record);
    case "or":
      return matchFilterPattern(tree.left, record) || matchFilterPattern(tree.right, record);
    case "compare": {
      let v: unknown = record;
      for (const part of tree.path) {
        v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
      }
      if (v === undefined || v === null || typeof v === "object") return false;
      const hit = globRegex(tree.value).test(String(v));
      return tree.op === "=" ? hit : !hit;
    }
  }
}

/** Record fields that are typed columns of `events`; others are read from the kept record. */
const COLUMN_OF: Record<string, string> = {
  eventID: "event_id",
  eventSource: "event_source",
  eventName: "event_name",
  eventType: "event_type",
  awsRegion: "aws_region",
  errorCode: "error_code",
  sourceIPAddress: "source_ip",
  userAgent: "user_agent",
  recipientAccountId: "recipient_account_id",
  "userIdentity.type": "identity_type",
  "userIdentity.arn": "principal_arn",
  "userIdentity.accountId": "account_id",
  "userIdentity.principalId": "principal_id",
  "userIdentity.accessKeyId": "access_key_id",
  "userIdentity.invokedBy": "invoked_by",
  "userIdentity.sessionContext.sessionIssuer.arn": "session_issuer_arn",
  "additionalEventData.RequestDetails.awsServingRegion": "sts_serving_region",
  "additionalEventData.RequestDetails.endpointType": "sts_endpoint_type",
  "tlsDetails.clientProvidedHostHeader": "tls_host",
};

/**
 * The pattern as a SQL condition, values bound as `$fp_<n>`. `needsRecord` is true when a field
 * is not a typed column: the condition then reads the `record` column of the `event_records`
 * view (slower: it decompresses the kept files).
 */
export function filterPatternToSql(tree: FilterNode): {
  sql: string;
  params: SqlParams;
  needsRecord: boolean;
} {
  const params: SqlParams = {};
  let needsRecord = false;
  const walk = (n: FilterNode): string => {
    if (n.kind !== "compare") {
      return `(${walk(n.left)} ${n.kind === "and" ? "AND" : "OR"} ${walk(n.right)})`;
    }
    const dotted = n.path.join(".");
    let column = COLUMN_OF[dotted];
    if (!column) {
      needsRecord = true;
      column = `(record->>${bindPath(params, n.path)})`;
    }
    const name = `fp_${Object.keys(params).length}`;
    let test: string;
    if (n.value.includes("*")) {
      params[name] = n.value.replace(/[\\%_]/g, "\\$&").replaceAll("*", "%");
      test = `${column} LIKE $${name} ESCAPE '\\'`;
    } else {
      params[name] = n.value;
      test = `${column} = $${name}`;
    }
    // A missing field (NULL) matches nothing, with = and != alike.
    return n.op === "=" ? `coalesce(${test}, false)` : `coalesce(NOT (${test}), false)`;
  };
  return { sql: walk(tree), params, needsRecord };
}

function bindPath(params: SqlParams, path: string[]): string {
  const name = `fp_${Object.keys(params).length}`;
  params[name] = "$." + path.map((p) => `"${p}"`).join(".");
  return `$${name}`;
}
