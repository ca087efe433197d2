/**
 * Which accounts a service control policy governs.
 *
 * An SCP limits the IAM users, roles and root users of the member accounts of its organization,
 * and nothing else: not the organization's management account, not principals of other accounts
 * (a vendor assuming a role in the organization is governed by the vendor's organization, if
 * any), not AWS service principals or service-linked roles, and not the federated callers of
 * `AssumeRoleWithSAML` / `AssumeRoleWithWebIdentity`, who present an assertion or a token rather
 * than AWS credentials. Whether a logged call "would have been denied" by an SCP therefore
 * depends on who made it before it depends on the policy's conditions.
 */
import { QueryOptionsError } from "./filters.js";

/** The organization an SCP is attached in, as far as the responder knows it. */
export interface Organization {
  id?: string;
  /** Every account of the organization, the management account included. */
  accounts: string[];
  /** The management account: SCPs never apply to it. */
  managementAccountId?: string;
}

const ACCOUNT = /^\d{12}$/;

function account(value: unknown, where: string, file?: string): string {
  if (typeof value !== "string" || !ACCOUNT.test(value)) {
    throw new QueryOptionsError(
      "value-invalid",
      "organization",
      file ?? value,
      `${file ?? "organization"}: ${where} ${JSON.stringify(value)} is not a 12-digit account id`,
    );
  }
  return value;
}

/**
 * Reads an organization from what a responder has at hand, as an object or JSON text:
 * `aws organizations list-accounts` output (`{"Accounts": [...]}`), the same with the
 * `describe-organization` output merged in (`{"Organization": {...}, "Accounts": [...]}`), or a
 * plain list of account ids.
 */
export function parseOrganization(input: unknown, file?: string): Organization {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new QueryOptionsError(
        "value-invalid",
        "organization",
        file ?? input.slice(0, 80),
        `${file ?? "organization"}: not JSON: ${(e as Error).message}`,
      );
    }
  }
  if (Array.isArray(value)) {
    return { accounts: [...new Set(value.map((v) => account(v, "account", file)))] };
  }
  if (
    value === null ||
    typeof value !== "object" ||
    !Array.isArray((value as { Accounts?: unknown }).Accounts)
  ) {
    throw new QueryOptionsError(
      "value-invalid",
      "organization",
      file,
      `${file ?? "organization"}: expected the output of aws organizations list-accounts ` +
        '({"Accounts": [...]}, optionally with "Organization" from describe-organization) or a ' +
        "list of account ids",
    );
  }
  const o = value as { Accounts: { Id?: unknown }[]; Organization?: Record<string, unknown> };
  const org: Organization = {
    accounts: [...new Set(o.Accounts.map((a) => account(a?.Id, "Accounts[].Id", file)))],
  };
  const info = o.Organization;
  if (info && typeof info === "object") {
    if (typeof info.Id === "string") org.id = info.Id;
    if (info.MasterAccountId !== undefined) {
      org.managementAccountId = account(info.MasterAccountId, "MasterAccountId", file);
    }
  }
  return org;
}

/** Whether an SCP governs a caller, and if not, why. */
export type Governance =
  | { governed: true }
  | { governed: false; reason: "management-account" | "other-account"; account: string }
  | { governed: "unknown"; account: string | null };

/**
 * Whether the SCP governs a principal of `accountId`. With an organization, the answer is
 * certain. Without one, the accounts whose trails are in the case (`trailAccounts`) are taken as
 * members (the responder was given their logs), and any other account is unknown.
 */
export function governance(
  accountId: string | null,
  organization: Organization | undefined,
  trailAccounts: ReadonlySet<string>,
): Governance {
  if (accountId === null) return { governed: "unknown", account: null };
  if (organization) {
    if (accountId === organization.managementAccountId) {
      return { governed: false, reason: "management-account", account: accountId };
    }
    return organization.accounts.includes(accountId)
      ? { governed: true }
      : { governed: false, reason: "other-account", account: accountId };
  }
  return trailAccounts.has(accountId)
    ? { governed: true }
    : { governed: "unknown", account: accountId };
}
