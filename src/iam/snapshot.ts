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
import { DocumentReader, join } from "./document-reader.js";
import { describe } from "./policy/document.js";
import {
  IamLoadError,
  type IamDocumentKind,
  type ParsedSnapshot,
  type ReadSnapshotOptions,
} from "./snapshot-rows.js";

export * from "./snapshot-rows.js";

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
