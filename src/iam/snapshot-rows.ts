/**
 * What `iam load` reads a snapshot file into: one row type per table, the parsed file, its
 * warnings, and the error of a file that cannot be stored (see snapshot.ts).
 */
import type { DocumentEncoding } from "./policy/index.js";

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

export type { DocumentEncoding };

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

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
