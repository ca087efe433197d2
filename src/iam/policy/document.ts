/**
 * Policy documents as they arrive (a JSON object, a JSON string, or the URL-encoded string the
 * raw IAM API returns) parsed once into a normalised {@link Policy}: every element that may be
 * "a value or a list" becomes a list, `Principal: "*"` becomes the same as `{"AWS": "*"}`, action
 * names are lower-cased, and every value is prepared for matching.
 *
 * What IAM would reject is a {@link PolicyError} with a stable code and the offending field; what
 * is odd but still meaningful (an unknown element, a policy with no statement) is a warning kept in
 * `Policy.warnings`, so one strange document in an export does not stop an analysis.
 */

import { parseOperator, type OperatorInfo } from "./condition.js";
import { parseTemplate, type Template } from "./variables.js";

/** Where a policy is used; decides whether `Principal` is required, ignored or checked. */
export type PolicyKind = "identity" | "resource" | "trust" | "scp";

export type Effect = "Allow" | "Deny";

/**
 * A `Principal` or `NotPrincipal` element. `wildcard` is set by `"*"` and by `{"AWS": "*"}` (the
 * two mean the same: everyone, anonymous callers included). The lists keep the entries as written.
 */
export interface PrincipalSet {
  wildcard: boolean;
  aws: string[];
  service: string[];
  federated: string[];
  canonicalUser: string[];
}

/** One key under one operator of a `Condition` block: `"StringEquals": {"aws:SourceVpce": [...]}`. */
export interface ConditionEntry {
  /** Where it sits, for messages: `Statement[0].Condition.StringEquals.aws:SourceVpce`. */
  field: string;
  /** The operator as written, e.g. `ForAnyValue:StringLikeIfExists`. */
  operator: string;
  info: OperatorInfo;
  key: string;
  keyLower: string;
  values: Template[];
}

/** One statement, normalised. Exactly one of each pair (Action/NotAction...) is set, or neither. */
export interface Statement {
  /** Position in the document, from 0. */
  index: number;
  sid?: string;
  effect: Effect;
  principal?: PrincipalSet;
  notPrincipal?: PrincipalSet;
  /** Action patterns, lower-cased (actions compare case-insensitively). */
  action?: Template[];
  notAction?: Template[];
  resource?: Template[];
  notResource?: Template[];
  conditions: ConditionEntry[];
}

/** Something odd in a document that does not stop it from being evaluated. */
export interface PolicyWarning {
  code: string;
  field: string;
  message: string;
}

/** A parsed policy document. */
export interface Policy {
  version?: string;
  id?: string;
  /** The kind given when parsing, if any; `evaluatePolicy` uses it when called without one. */
  kind?: PolicyKind;
  statements: Statement[];
  warnings: PolicyWarning[];
  /** Whether `${...}` are policy variables (Version 2012-10-17) rather than literal text. */
  variables: boolean;
  source?: PolicySource;
}

/** Where a document came from, carried into errors. */
export interface PolicySource {
  file?: string;
  /** The field of the input file that held the document, e.g. `RoleDetailList[3].AssumeRolePolicyDocument`. */
  field?: string;
  /** Where the policy is used: `trust` and `resource` make `Principal` required. */
  kind?: PolicyKind;
}

/** The stable codes of {@link PolicyError}. */
export const POLICY_ERROR_CODES = [
  "not-json",
  "not-url-encoded",
  "not-an-object",
  "statement-invalid",
  "effect-invalid",
  "action-missing",
  "element-conflict",
  "value-invalid",
  "principal-missing",
  "principal-invalid",
  "condition-invalid",
  "condition-operator-unknown",
] as const;
export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[number];

/** A document IAM would reject: `code` is stable, `field` names the element, `value` is the bad part. */
export class PolicyError extends Error {
  override readonly name = "PolicyError";
  constructor(
    readonly code: PolicyErrorCode,
    readonly field: string,
    message: string,
    readonly value?: unknown,
    readonly file?: string,
  ) {
    super(file ? `${file}: ${field}: ${message}` : `${field}: ${message}`);
  }
}

const STATEMENT_KEYS = new Set([
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
]);
const PRINCIPAL_KEYS = ["AWS", "Service", "Federated", "CanonicalUser"] as const;

/** A value for a message: its JSON, cut to 80 characters. */
export function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

class Parser {
  readonly warnings: PolicyWarning[] = [];
  constructor(
    readonly base: string,
    readonly source: PolicySource | undefined,
  ) {}

  at(path: string): string {
    if (!path) return this.base || "(policy)";
    return this.base ? `${this.base}.${path}` : path;
  }

  fail(code: PolicyErrorCode, path: string, message: string, value?: unknown): never {
    throw new PolicyError(code, this.at(path), message, value, this.source?.file);
  }

  warn(code: string, path: string, message: string): void {
    this.warnings.push({ code, field: this.at(path), message });
  }

  /** A string, or a list of strings, as a list. */
  strings(value: unknown, path: string): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
    return this.fail(
      "value-invalid",
      path,
      `expected a string or a list of strings, got ${describe(value)}`,
      value,
    );
  }
}

/** How a policy document arrived: an object, JSON text, or URL-encoded JSON text. */
export type DocumentEncoding = "object" | "json-text" | "url-encoded";

/** Turns the input into a plain object: decodes JSON strings and URL-encoded JSON strings. */
function decode(
  input: unknown,
  p: Parser,
): { document: Record<string, unknown>; encoding: DocumentEncoding } {
  let value = input;
  let encoding: DocumentEncoding = "object";
  if (typeof value === "string") {
    let text = value.trim();
    encoding = "json-text";
    if (!text.startsWith("{") && text.includes("%")) {
      encoding = "url-encoded";
      // The raw IAM API percent-encodes documents (RFC 3986). A `+` is left as is: in this
      // encoding a space is `%20`, and `+` may be a literal character of a value.
      try {
        text = decodeURIComponent(text).trim();
      } catch {
        p.fail(
          "not-url-encoded",
          "",
          "the document is neither JSON nor valid URL-encoded JSON",
          describe(value),
        );
      }
    }
    try {
      value = JSON.parse(text);
    } catch (err) {
      p.fail(
        "not-json",
        "",
        `the document is not valid JSON (${(err as Error).message})`,
        describe(input),
      );
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    p.fail(
      "not-an-object",
      "",
      `a policy document must be a JSON object, got ${describe(value)}`,
      value,
    );
  }
  return { document: value as Record<string, unknown>, encoding };
}

/**
 * Decodes a policy document as {@link parsePolicy} does (an object, JSON text or URL-encoded JSON
 * text) without parsing its statements, for callers that keep the document as it was: the
 * decoded object and how it arrived. Throws {@link PolicyError} when it is not a JSON object.
 */
export function decodePolicyDocument(
  input: unknown,
  source?: PolicySource,
): { document: Record<string, unknown>; encoding: DocumentEncoding } {
  return decode(input, new Parser(source?.field ?? "", source));
}

function parsePrincipal(value: unknown, path: string, p: Parser): PrincipalSet {
  const set: PrincipalSet = {
    wildcard: false,
    aws: [],
    service: [],
    federated: [],
    canonicalUser: [],
  };
  if (value === "*") {
    set.wildcard = true;
    return set;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    p.fail(
      "principal-invalid",
      path,
      `expected "*" or an object such as {"AWS": ...}, got ${describe(value)}`,
      value,
    );
  }
  const obj = value as Record<string, unknown>;
  for (const name of Object.keys(obj)) {
    const kind = PRINCIPAL_KEYS.find((k) => k === name);
    if (kind === undefined) {
      p.fail(
        "principal-invalid",
        `${path}.${name}`,
        `unknown principal type "${name}" (expected AWS, Service, Federated or CanonicalUser)`,
        name,
      );
    }
    const entries = p.strings(obj[name], `${path}.${name}`).map((s) => s.trim());
    if (kind === "AWS") {
      for (const e of entries) if (e === "*") set.wildcard = true;
      set.aws.push(...entries);
    } else if (kind === "Service") set.service.push(...entries);
    else if (kind === "Federated") set.federated.push(...entries);
    else set.canonicalUser.push(...entries);
  }
  return set;
}

function parseConditions(
  value: unknown,
  path: string,
  variables: boolean,
  p: Parser,
): ConditionEntry[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    p.fail(
      "condition-invalid",
      path,
      `a Condition must be an object of operators, got ${describe(value)}`,
      value,
    );
  }
  const out: ConditionEntry[] = [];
  const block = value as Record<string, unknown>;
  for (const operator of Object.keys(block)) {
    const opPath = `${path}.${operator}`;
    const info = parseOperator(operator);
    if (info === undefined) {
      p.fail(
        "condition-operator-unknown",
        opPath,
        `unknown condition operator "${operator}"`,
        operator,
      );
    }
    const keys = block[operator];
    if (keys === null || typeof keys !== "object" || Array.isArray(keys)) {
      p.fail(
        "condition-invalid",
        opPath,
        `an operator must map condition keys to values, got ${describe(keys)}`,
        keys,
      );
    }
    for (const [key, raw] of Object.entries(keys as Record<string, unknown>)) {
      const keyPath = `${opPath}.${key}`;
      const list = Array.isArray(raw) ? raw : [raw];
      const values: Template[] = [];
      for (const v of list) {
        // IAM accepts numbers and booleans in condition values and compares their text.
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
          values.push(parseTemplate(String(v), variables));
        } else {
          p.fail(
            "condition-invalid",
            keyPath,
            `condition values must be strings, numbers or booleans, got ${describe(v)}`,
            v,
          );
        }
      }
      out.push({ field: p.at(keyPath), operator, info, key, keyLower: key.toLowerCase(), values });
    }
  }
  return out;
}

function parseStatement(raw: unknown, path: string, policy: Policy, p: Parser): Statement {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    p.fail("statement-invalid", path, `a statement must be an object, got ${describe(raw)}`, raw);
  }
  const s = raw as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (!STATEMENT_KEYS.has(key))
      p.warn("element-unknown", `${path}.${key}`, `unknown statement element "${key}" is ignored`);
  }
  const effect = s.Effect;
  if (effect !== "Allow" && effect !== "Deny") {
    p.fail(
      "effect-invalid",
      `${path}.Effect`,
      `Effect must be "Allow" or "Deny", got ${describe(effect)}`,
      effect,
    );
  }
  const statement: Statement = { index: policy.statements.length, effect, conditions: [] };
  if (s.Sid !== undefined) {
    if (typeof s.Sid !== "string" && typeof s.Sid !== "number") {
      p.fail("value-invalid", `${path}.Sid`, `Sid must be a string, got ${describe(s.Sid)}`, s.Sid);
    }
    statement.sid = String(s.Sid);
  }

  const pair = (a: string, b: string): void => {
    if (s[a] !== undefined && s[b] !== undefined) {
      p.fail("element-conflict", `${path}.${b}`, `a statement cannot have both ${a} and ${b}`);
    }
  };
  pair("Principal", "NotPrincipal");
  pair("Action", "NotAction");
  pair("Resource", "NotResource");

  if (s.Principal !== undefined)
    statement.principal = parsePrincipal(s.Principal, `${path}.Principal`, p);
  if (s.NotPrincipal !== undefined)
    statement.notPrincipal = parsePrincipal(s.NotPrincipal, `${path}.NotPrincipal`, p);
  const kind = policy.kind;
  const hasPrincipal = statement.principal !== undefined || statement.notPrincipal !== undefined;
  if ((kind === "trust" || kind === "resource") && !hasPrincipal) {
    p.fail(
      "principal-missing",
      `${path}.Principal`,
      `a ${kind} policy statement must name a Principal or NotPrincipal`,
    );
  }
  if ((kind === "identity" || kind === "scp") && hasPrincipal) {
    p.warn(
      "principal-ignored",
      `${path}.Principal`,
      `a Principal has no meaning in an ${kind} policy and is ignored`,
    );
  }

  const actions = (name: "Action" | "NotAction"): Template[] | undefined =>
    s[name] === undefined
      ? undefined
      : p
          .strings(s[name], `${path}.${name}`)
          .map((a) => parseTemplate(a.trim().toLowerCase(), false));
  statement.action = actions("Action");
  statement.notAction = actions("NotAction");
  if (statement.action === undefined && statement.notAction === undefined) {
    p.fail("action-missing", `${path}.Action`, "a statement must have an Action or a NotAction");
  }
  if (statement.action === undefined) delete statement.action;
  if (statement.notAction === undefined) delete statement.notAction;

  const resources = (name: "Resource" | "NotResource"): Template[] | undefined =>
    s[name] === undefined
      ? undefined
      : p.strings(s[name], `${path}.${name}`).map((r) => parseTemplate(r, policy.variables));
  const resource = resources("Resource");
  const notResource = resources("NotResource");
  if (resource) statement.resource = resource;
  if (notResource) statement.notResource = notResource;

  statement.conditions = parseConditions(s.Condition, `${path}.Condition`, policy.variables, p);
  return statement;
}

/**
 * Parses a policy document. `input` is a JSON object, a JSON string or a URL-encoded JSON string;
 * `source` names where it came from (for errors) and, with `kind`, how strict to be.
 * Throws {@link PolicyError} for a document IAM would reject.
 */
export function parsePolicy(input: unknown, source?: PolicySource): Policy {
  const p: Parser = new Parser(source?.field ?? "", source);
  const doc = decode(input, p).document;
  const version = doc.Version;
  if (version !== undefined && typeof version !== "string") {
    p.fail(
      "value-invalid",
      "Version",
      `Version must be a string, got ${describe(version)}`,
      version,
    );
  }
  if (version !== undefined && version !== "2012-10-17" && version !== "2008-10-17") {
    p.warn(
      "version-unknown",
      "Version",
      `unknown Version "${version}": policy variables are not substituted`,
    );
  }
  const policy: Policy = {
    statements: [],
    warnings: p.warnings,
    // Without a Version, IAM reads a document as 2008-10-17, where `${...}` is literal text.
    variables: version === "2012-10-17",
  };
  if (version !== undefined) policy.version = version;
  if (typeof doc.Id === "string") policy.id = doc.Id;
  if (source?.kind) policy.kind = source.kind;
  if (source) policy.source = source;

  const raw = doc.Statement;
  if (raw === undefined) {
    // Seen in real exports (a role whose trust document is only `{"Version": ...}`); IAM would
    // not accept it, but it is still a policy that allows nothing.
    p.warn("statement-missing", "Statement", "the document has no Statement: it allows nothing");
    return policy;
  }
  const list = Array.isArray(raw) ? raw : [raw];
  list.forEach((s, i) => {
    const path = Array.isArray(raw) ? `Statement[${i}]` : "Statement";
    policy.statements.push(parseStatement(s, path, policy, p));
  });
  return policy;
}
