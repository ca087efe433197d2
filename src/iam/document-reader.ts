/**
 * Reads the parts of an IAM export, field by field, keeping the path of every field it looks at
 * so an error or a warning can say where: `RoleDetailList[3].AssumeRolePolicyDocument.Statement[0]`.
 */
import { decodePolicyDocument, parsePolicy, PolicyError, type PolicyKind } from "./policy/index.js";
import { describe } from "./policy/document.js";
import {
  IamLoadError,
  type AttachedPolicy,
  type DocumentEncoding,
  type GroupRow,
  type IamLoadErrorCode,
  type InlinePolicy,
  type JsonObject,
  type ManagedPolicyRow,
  type OrgAccountRow,
  type OrganizationRow,
  type RoleRow,
  type SnapshotWarning,
  type UserRow,
} from "./snapshot-rows.js";

const ARN = /^arn:aws[a-z-]*:(iam|organizations)::([^:]*):(.+)$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;

/** A field path: `RoleDetailList[3]` + `Arn`, or the key alone at the top. */
export function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

/** Reads one file's document, keeping the path of every field it looks at for messages. */
export class DocumentReader {
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
    let decoded: ReturnType<typeof decodePolicyDocument>;
    try {
      decoded = decodePolicyDocument(value, { field, kind });
      const parsed = parsePolicy(decoded.document, { field, kind });
      for (const w of parsed.warnings)
        this.warnings.push({ code: w.code, field: w.field, message: w.message });
    } catch (e) {
      // The engine names the field itself (`<field>: <message>`); the load error keeps them apart.
      if (e instanceof PolicyError)
        this.fail("policy-invalid", e.field, e.message.slice(e.field.length + 2), e.value);
      throw e;
    }
    const { document, encoding } = decoded;
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
