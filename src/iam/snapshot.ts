/**
 * IAM snapshot documents as responders receive them, read into rows ready to store: the output
 * of `aws iam get-account-authorization-details` (the CLI prints policy documents as JSON, the raw
 * API returns them URL-encoded: both occur), `aws iam get-role`, `aws iam list-roles`, and the
 * organization (`aws organizations describe-organization` and/or `list-accounts`, one file or
 * two). A boto3 response recorded with its status (`{"status_code": 200, "data": {...}}`, as
 * Cloud Custodian's test data holds them) is read through its `data`.
 *
 * Everything is checked before anything is stored: a document this module cannot read fully is
 * an {@link IamLoadError} naming the file, the field and what is wrong; nothing is guessed. What is
 * odd but harmless (a date that is not a date, an unknown policy element) becomes a warning kept
 * with the snapshot.
 */
import { parsePolicy, PolicyError, type PolicyKind } from "./policy/index.js";

export const IAM_DOCUMENT_KINDS = [
  "authorization-details",
  "get-role",
  "list-roles",
  "organization",
] as const;
export type IamDocumentKind = (typeof IAM_DOCUMENT_KINDS)[number];

export const IAM_LOAD_ERROR_CODES = [
  /** The file cannot be read. */
  "file-unreadable",
  /** The file is not JSON. */
  "not-json",
  /** JSON, but not one of the documents `iam load` reads. */
  "document-unrecognised",
  /** A recorded API response that is an error: it holds no IAM data. */
  "response-error",
  /** A field the document must have is missing (or null). */
  "field-missing",
  /** A field has the wrong type or an impossible value. */
  "field-invalid",
  /** A page of a paginated listing (IsTruncated): loaded only with `allowPartial`. */
  "partial",
  /** A policy document IAM would reject. */
  "policy-invalid",
] as const;
export type IamLoadErrorCode = (typeof IAM_LOAD_ERROR_CODES)[number];

/** A document `iam load` cannot store: `file` and `field` say where, `value` what was found. */
export class IamLoadError extends Error {
  override readonly name = "IamLoadError";
  constructor(
    readonly code: IamLoadErrorCode,
    readonly file: string,
    readonly field: string,
    message: string,
    readonly value?: unknown,
  ) {
    super(`${file}: ${field ? `${field}: ` : ""}${message}`);
  }
}

/** Something odd in a snapshot that did not stop it from loading. */
export interface SnapshotWarning {
  code: string;
  field: string;
  message: string;
}

/** How a policy document arrived: an object, JSON text, or URL-encoded JSON text. */
export type DocumentEncoding = "object" | "json-text" | "url-encoded";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface InlinePolicy {
  PolicyName: string;
  PolicyDocument: JsonObject;
}

export interface AttachedPolicy {
  PolicyName: string | null;
  PolicyArn: string;
}

export interface RoleRow {
  field: string;
  account_id: string;
  role_name: string;
  role_id: string | null;
  arn: string;
  path: string | null;
  create_date: string | null;
  description: string | null;
  max_session_duration: number | null;
  trust_policy: JsonObject;
  trust_policy_encoding: DocumentEncoding;
  permissions_boundary_arn: string | null;
  attached_policies: AttachedPolicy[];
  inline_policies: InlinePolicy[];
  instance_profiles: string[];
  tags: { Key: string; Value: string }[];
  last_used_at: string | null;
  last_used_region: string | null;
}

export interface UserRow {
  field: string;
  account_id: string;
  user_name: string;
  user_id: string | null;
  arn: string;
  path: string | null;
  create_date: string | null;
  groups: string[];
  permissions_boundary_arn: string | null;
  attached_policies: AttachedPolicy[];
  inline_policies: InlinePolicy[];
  tags: { Key: string; Value: string }[];
}

export interface GroupRow {
  field: string;
  account_id: string;
  group_name: string;
  group_id: string | null;
  arn: string;
  path: string | null;
  create_date: string | null;
  attached_policies: AttachedPolicy[];
  inline_policies: InlinePolicy[];
}

export interface ManagedPolicyRow {
  field: string;
  account_id: string | null;
  policy_name: string;
  policy_id: string | null;
  arn: string;
  path: string | null;
  default_version_id: string | null;
  attachment_count: number | null;
  document: JsonObject | null;
  versions: number;
}

export interface OrganizationRow {
  org_id: string;
  arn: string | null;
  management_account_id: string | null;
  feature_set: string | null;
}

export interface OrgAccountRow {
  org_id: string | null;
  account_id: string;
  name: string | null;
  email: string | null;
  status: string | null;
  arn: string | null;
}

/** One file read: its rows, and what it said about itself. */
export interface ParsedSnapshot {
  kind: IamDocumentKind;
  envelope: "recorded-response" | null;
  partial: boolean;
  accounts: string[];
  roles: RoleRow[];
  users: UserRow[];
  groups: GroupRow[];
  policies: ManagedPolicyRow[];
  organizations: OrganizationRow[];
  orgAccounts: OrgAccountRow[];
  documents: { json: number; urlEncoded: number };
  warnings: SnapshotWarning[];
}

export interface ReadSnapshotOptions {
  /** Accept a page of a paginated listing (IsTruncated true); it is marked `partial`. */
  allowPartial?: boolean;
}

const ARN = /^arn:aws[a-z-]*:(iam|organizations)::([^:]*):(.+)$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;

/** A field path: `RoleDetailList[3]` + `Arn`, or the key alone at the top. */
function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Reads one file's document, keeping the path of every field it looks at for messages. */
class DocumentReader {
  readonly warnings: SnapshotWarning[] = [];
  readonly documents = { json: 0, urlEncoded: 0 };
  readonly accounts = new Set<string>();

  constructor(readonly file: string) {}

  fail(code: IamLoadErrorCode, field: string, message: string, value?: unknown): never {
    throw new IamLoadError(code, this.file, field, message, value);
  }

  warn(code: string, field: string, message: string): void {
    this.warnings.push({ code, field, message });
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (value === undefined || value === null) this.fail("field-missing", field, "is missing");
    if (typeof value !== "object" || Array.isArray(value)) {
      this.fail("field-invalid", field, `expected an object, got ${describe(value)}`, value);
    }
    return value as Record<string, unknown>;
  }

  /** A list; a missing (or null) list is empty. */
  list(o: Record<string, unknown>, key: string, at: string): unknown[] {
    const value = o[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.fail("field-invalid", join(at, key), `expected a list, got ${describe(value)}`, value);
    }
    return value;
  }

  required(o: Record<string, unknown>, key: string, at: string): string {
    const value = o[key];
    const field = join(at, key);
    if (value === undefined || value === null) this.fail("field-missing", field, "is missing");
    if (typeof value !== "string" || value.trim() === "") {
      this.fail(
        "field-invalid",
        field,
        `expected a non-empty string, got ${describe(value)}`,
        value,
      );
    }
    return value;
  }

  optional(o: Record<string, unknown>, key: string, at: string): string | null {
    const value = o[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== "string") {
      this.fail("field-invalid", join(at, key), `expected a string, got ${describe(value)}`, value);
    }
    return value;
  }

  integer(o: Record<string, unknown>, key: string, at: string): number | null {
    const value = o[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.fail(
        "field-invalid",
        join(at, key),
        `expected a whole number, got ${describe(value)}`,
        value,
      );
    }
    return value;
  }

  /**
   * A time. Exports write ISO 8601; anything else (a recorded response's serialised datetime
   * object, say) is kept as NULL with a warning: no time is better than a guessed one.
   */
  time(o: Record<string, unknown>, key: string, at: string): string | null {
    const value = o[key];
    if (value === undefined || value === null) return null;
    if (
      typeof value === "string" &&
      /^\d{4}-\d{2}-\d{2}/.test(value) &&
      !Number.isNaN(Date.parse(value))
    ) {
      return new Date(Date.parse(value)).toISOString();
    }
    this.warn(
      "time-unreadable",
      join(at, key),
      `${describe(value)} is not an ISO 8601 time; not kept`,
    );
    return null;
  }

  /** The account of an IAM ARN of the given resource type (`role`, `user`...). */
  arnAccount(arn: string, type: string, field: string): string {
    const m = ARN.exec(arn);
    if (!m || m[1] !== "iam" || !m[3]!.startsWith(`${type}/`) || m[2] === "") {
      this.fail("field-invalid", field, `expected an IAM ${type} ARN, got ${describe(arn)}`, arn);
    }
    this.accounts.add(m[2]!);
    return m[2]!;
  }

  /**
   * A policy document: decoded (object, JSON text or URL-encoded JSON text), then parsed by the
   * policy engine so that a document IAM would reject fails the load here, with its field.
   */
  policy(
    value: unknown,
    field: string,
    kind: PolicyKind,
  ): { document: JsonObject; encoding: DocumentEncoding } {
    if (value === undefined || value === null) this.fail("field-missing", field, "is missing");
    let document: unknown = value;
    let encoding: DocumentEncoding = "object";
    if (typeof value === "string") {
      const text = value.trim();
      let decoded = text;
      encoding = "json-text";
      if (!text.startsWith("{") && text.includes("%")) {
        encoding = "url-encoded";
        try {
          decoded = decodeURIComponent(text);
        } catch {
          this.fail(
            "policy-invalid",
            field,
            "the document is neither JSON nor valid URL-encoded JSON",
            describe(value),
          );
        }
      }
      try {
        document = JSON.parse(decoded);
      } catch (e) {
        this.fail(
          "policy-invalid",
          field,
          `the document is not valid JSON (${(e as Error).message})`,
          describe(value),
        );
      }
    }
    if (document === null || typeof document !== "object" || Array.isArray(document)) {
      this.fail(
        "policy-invalid",
        field,
        `a policy document must be a JSON object, got ${describe(document)}`,
        document,
      );
    }
    try {
      const parsed = parsePolicy(document, { field, kind });
      for (const w of parsed.warnings)
        this.warnings.push({ code: w.code, field: w.field, message: w.message });
    } catch (e) {
      if (e instanceof PolicyError)
        this.fail("policy-invalid", e.field, e.message.slice(e.field.length + 2), e.value);
      throw e;
    }
    if (encoding === "url-encoded") this.documents.urlEncoded++;
    else this.documents.json++;
    return { document: document as JsonObject, encoding };
  }

  inlinePolicies(o: Record<string, unknown>, key: string, at: string): InlinePolicy[] {
    return this.list(o, key, at).map((raw, i) => {
      const field = `${join(at, key)}[${i}]`;
      const p = this.object(raw, field);
      const name = this.required(p, "PolicyName", field);
      const { document } = this.policy(p.PolicyDocument, `${field}.PolicyDocument`, "identity");
      return { PolicyName: name, PolicyDocument: document };
    });
  }

  attachedPolicies(o: Record<string, unknown>, at: string): AttachedPolicy[] {
    return this.list(o, "AttachedManagedPolicies", at).map((raw, i) => {
      const field = `${at}.AttachedManagedPolicies[${i}]`;
      const p = this.object(raw, field);
      return {
        PolicyName: this.optional(p, "PolicyName", field),
        PolicyArn: this.required(p, "PolicyArn", field),
      };
    });
  }

  tags(o: Record<string, unknown>, at: string): { Key: string; Value: string }[] {
    return this.list(o, "Tags", at).map((raw, i) => {
      const field = `${at}.Tags[${i}]`;
      const t = this.object(raw, field);
      return { Key: this.required(t, "Key", field), Value: this.optional(t, "Value", field) ?? "" };
    });
  }

  boundary(o: Record<string, unknown>, at: string): string | null {
    const b = o.PermissionsBoundary;
    if (b === undefined || b === null) return null;
    return this.optional(
      this.object(b, `${at}.PermissionsBoundary`),
      "PermissionsBoundaryArn",
      `${at}.PermissionsBoundary`,
    );
  }

  role(raw: unknown, at: string): RoleRow {
    const r = this.object(raw, at);
    const arn = this.required(r, "Arn", at);
    const account = this.arnAccount(arn, "role", `${at}.Arn`);
    const trust = this.policy(
      r.AssumeRolePolicyDocument,
      `${at}.AssumeRolePolicyDocument`,
      "trust",
    );
    const lastUsed =
      r.RoleLastUsed === undefined || r.RoleLastUsed === null
        ? {}
        : this.object(r.RoleLastUsed, `${at}.RoleLastUsed`);
    return {
      field: at,
      account_id: account,
      role_name: this.required(r, "RoleName", at),
      role_id: this.optional(r, "RoleId", at),
      arn,
      path: this.optional(r, "Path", at),
      create_date: this.time(r, "CreateDate", at),
      description: this.optional(r, "Description", at),
      max_session_duration: this.integer(r, "MaxSessionDuration", at),
      trust_policy: trust.document,
      trust_policy_encoding: trust.encoding,
      permissions_boundary_arn: this.boundary(r, at),
      attached_policies: this.attachedPolicies(r, at),
      inline_policies: this.inlinePolicies(r, "RolePolicyList", at),
      instance_profiles: this.list(r, "InstanceProfileList", at).map((raw, i) =>
        this.instanceProfile(raw, `${at}.InstanceProfileList[${i}]`),
      ),
      tags: this.tags(r, at),
      last_used_at: this.time(lastUsed, "LastUsedDate", `${at}.RoleLastUsed`),
      last_used_region: this.optional(lastUsed, "Region", `${at}.RoleLastUsed`),
    };
  }

  /**
   * An instance profile's ARN. The roles it lists repeat their own trust policy: checked like
   * every document in the file, not stored twice.
   */
  instanceProfile(raw: unknown, at: string): string {
    const p = this.object(raw, at);
    this.list(p, "Roles", at).forEach((role, k) => {
      const doc = this.object(role, `${at}.Roles[${k}]`).AssumeRolePolicyDocument;
      if (doc !== undefined && doc !== null) {
        this.policy(doc, `${at}.Roles[${k}].AssumeRolePolicyDocument`, "trust");
      }
    });
    return this.required(p, "Arn", at);
  }

  user(raw: unknown, at: string): UserRow {
    const u = this.object(raw, at);
    const arn = this.required(u, "Arn", at);
    return {
      field: at,
      account_id: this.arnAccount(arn, "user", `${at}.Arn`),
      user_name: this.required(u, "UserName", at),
      user_id: this.optional(u, "UserId", at),
      arn,
      path: this.optional(u, "Path", at),
      create_date: this.time(u, "CreateDate", at),
      groups: this.list(u, "GroupList", at).map((g, i) => {
        if (typeof g !== "string")
          this.fail(
            "field-invalid",
            `${at}.GroupList[${i}]`,
            `expected a group name, got ${describe(g)}`,
            g,
          );
        return g;
      }),
      permissions_boundary_arn: this.boundary(u, at),
      attached_policies: this.attachedPolicies(u, at),
      inline_policies: this.inlinePolicies(u, "UserPolicyList", at),
      tags: this.tags(u, at),
    };
  }

  group(raw: unknown, at: string): GroupRow {
    const g = this.object(raw, at);
    const arn = this.required(g, "Arn", at);
    return {
      field: at,
      account_id: this.arnAccount(arn, "group", `${at}.Arn`),
      group_name: this.required(g, "GroupName", at),
      group_id: this.optional(g, "GroupId", at),
      arn,
      path: this.optional(g, "Path", at),
      create_date: this.time(g, "CreateDate", at),
      attached_policies: this.attachedPolicies(g, at),
      inline_policies: this.inlinePolicies(g, "GroupPolicyList", at),
    };
  }

  managedPolicy(raw: unknown, at: string): ManagedPolicyRow {
    const p = this.object(raw, at);
    const arn = this.required(p, "Arn", at);
    const m = ARN.exec(arn);
    if (!m || m[1] !== "iam" || !m[3]!.startsWith("policy/")) {
      this.fail(
        "field-invalid",
        `${at}.Arn`,
        `expected an IAM policy ARN, got ${describe(arn)}`,
        arn,
      );
    }
    // AWS managed policies live in the pseudo-account "aws".
    const account = m[2] === "aws" || m[2] === "" ? null : m[2]!;
    if (account) this.accounts.add(account);
    const defaultVersion = this.optional(p, "DefaultVersionId", at);
    const versions = this.list(p, "PolicyVersionList", at);
    let document: JsonObject | null = null;
    versions.forEach((raw, i) => {
      const field = `${at}.PolicyVersionList[${i}]`;
      const v = this.object(raw, field);
      // Every version is checked; the default one is kept.
      const { document: doc } = this.policy(v.Document, `${field}.Document`, "identity");
      const isDefault =
        v.IsDefaultVersion === true || (defaultVersion !== null && v.VersionId === defaultVersion);
      if (isDefault) document = doc;
    });
    if (versions.length > 0 && document === null) {
      this.warn(
        "default-version-missing",
        `${at}.PolicyVersionList`,
        "no version is marked as the default; no document kept",
      );
    }
    return {
      field: at,
      account_id: account,
      policy_name: this.required(p, "PolicyName", at),
      policy_id: this.optional(p, "PolicyId", at),
      arn,
      path: this.optional(p, "Path", at),
      default_version_id: defaultVersion,
      attachment_count: this.integer(p, "AttachmentCount", at),
      document,
      versions: versions.length,
    };
  }

  organization(raw: unknown): OrganizationRow {
    const o = this.object(raw, "Organization");
    const id = this.required(o, "Id", "Organization");
    if (!ORG_ID.test(id))
      this.fail(
        "field-invalid",
        "Organization.Id",
        `expected an organization id such as o-a1b2c3d4e5, got ${describe(id)}`,
        id,
      );
    const management =
      this.optional(o, "MasterAccountId", "Organization") ??
      this.optional(o, "ManagementAccountId", "Organization");
    if (management) this.accounts.add(management);
    return {
      org_id: id,
      arn: this.optional(o, "Arn", "Organization"),
      management_account_id: management,
      feature_set: this.optional(o, "FeatureSet", "Organization"),
    };
  }

  orgAccount(raw: unknown, at: string, orgId: string | null): OrgAccountRow {
    const a = this.object(raw, at);
    const id = this.required(a, "Id", at);
    if (!ACCOUNT_ID.test(id))
      this.fail(
        "field-invalid",
        `${at}.Id`,
        `expected a 12-digit account id, got ${describe(id)}`,
        id,
      );
    this.accounts.add(id);
    const arn = this.optional(a, "Arn", at);
    // arn:aws:organizations::<management>:account/o-xxxx/<id>
    const fromArn = arn ? /:account\/(o-[a-z0-9]+)\//.exec(arn)?.[1] : undefined;
    return {
      org_id: orgId ?? fromArn ?? null,
      account_id: id,
      name: this.optional(a, "Name", at),
      email: this.optional(a, "Email", at),
      status: this.optional(a, "Status", at),
      arn,
    };
  }
}

function kindOf(doc: Record<string, unknown>): IamDocumentKind | undefined {
  if (["RoleDetailList", "UserDetailList", "GroupDetailList", "Policies"].some((k) => k in doc)) {
    return "authorization-details";
  }
  if ("Role" in doc) return "get-role";
  if ("Roles" in doc) return "list-roles";
  if ("Organization" in doc || "Accounts" in doc) return "organization";
  return undefined;
}

/**
 * Reads one snapshot file's text. `file` names it in errors. Throws {@link IamLoadError} for
 * anything that cannot be stored whole.
 */
export function readSnapshot(
  file: string,
  text: string,
  options: ReadSnapshotOptions = {},
): ParsedSnapshot {
  const r: DocumentReader = new DocumentReader(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    r.fail("not-json", "", `not JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    r.fail(
      "document-unrecognised",
      "",
      `expected an IAM export (a JSON object), got ${Array.isArray(json) ? "a list" : describe(json)}`,
    );
  }
  let doc = json as Record<string, unknown>;
  let envelope: ParsedSnapshot["envelope"] = null;
  if ("status_code" in doc && "data" in doc) {
    envelope = "recorded-response";
    doc = r.object(doc.data, "data");
    if (doc.Error !== undefined) {
      const err = (doc.Error ?? {}) as Record<string, unknown>;
      r.fail(
        "response-error",
        "data.Error",
        `the recorded response is an error (${String(err.Code ?? "?")}: ${String(err.Message ?? "")}); it holds no IAM data`,
      );
    }
  }
  const base = envelope ? "data" : "";
  const at = (field: string) => join(base, field);
  const kind = kindOf(doc);
  if (kind === undefined) {
    const keys = Object.keys(doc).slice(0, 6).join(", ");
    r.fail(
      "document-unrecognised",
      "",
      `not an IAM export trailbook reads (get-account-authorization-details, get-role, list-roles, ` +
        `describe-organization or list-accounts output); its top-level fields are: ${keys || "(none)"}`,
    );
  }
  let partial = false;
  if (doc.IsTruncated === true) {
    if (!options.allowPartial) {
      r.fail(
        "partial",
        at("IsTruncated"),
        "the listing is one page of several (IsTruncated is true): export it whole (the AWS CLI " +
          "follows the pages by itself), or load the page anyway with --allow-partial",
      );
    }
    partial = true;
    r.warn(
      "partial",
      at("IsTruncated"),
      "one page of a paginated listing: roles on other pages are missing",
    );
  }
  const out: ParsedSnapshot = {
    kind,
    envelope,
    partial,
    accounts: [],
    roles: [],
    users: [],
    groups: [],
    policies: [],
    organizations: [],
    orgAccounts: [],
    documents: r.documents,
    warnings: r.warnings,
  };
  switch (kind) {
    case "authorization-details":
      out.roles = r
        .list(doc, "RoleDetailList", base)
        .map((x, i) => r.role(x, at(`RoleDetailList[${i}]`)));
      out.users = r
        .list(doc, "UserDetailList", base)
        .map((x, i) => r.user(x, at(`UserDetailList[${i}]`)));
      out.groups = r
        .list(doc, "GroupDetailList", base)
        .map((x, i) => r.group(x, at(`GroupDetailList[${i}]`)));
      out.policies = r
        .list(doc, "Policies", base)
        .map((x, i) => r.managedPolicy(x, at(`Policies[${i}]`)));
      break;
    case "get-role":
      out.roles = [r.role(doc.Role, at("Role"))];
      break;
    case "list-roles":
      out.roles = r.list(doc, "Roles", base).map((x, i) => r.role(x, at(`Roles[${i}]`)));
      break;
    case "organization": {
      const org = doc.Organization === undefined ? undefined : r.organization(doc.Organization);
      if (org) out.organizations.push(org);
      out.orgAccounts = r
        .list(doc, "Accounts", base)
        .map((x, i) => r.orgAccount(x, at(`Accounts[${i}]`), org?.org_id ?? null));
      break;
    }
  }
  out.accounts = [...r.accounts].sort();
  return out;
}
