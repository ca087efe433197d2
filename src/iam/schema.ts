/**
 * The IAM part of a case file: snapshots of IAM as exported (`get-account-authorization-details`,
 * `get-role`, `list-roles`) and of the organization, stored beside the events so a trust check
 * can rebuild "what did the trust policy say" without the original files.
 *
 * Conventions as in `store/schema.ts`: times are TIMESTAMPTZ in UTC, names keep the spelling of
 * the export, policy documents are stored decoded as JSON whatever encoding they arrived in (the
 * encoding is kept in a column). Every row points at the snapshot (file) it came from, and at the
 * field of that file that held it, so a finding can cite its source.
 *
 * Several snapshots may describe the same role (an account export and a later `get-role`): the
 * trust check uses the most recently loaded one ({@link CURRENT_ROLES_SQL}) and reports how many
 * different trust documents the case holds for the role.
 */
import type { DuckDBConnection } from "@duckdb/node-api";

export const IAM_SCHEMA_SQL = `
-- One row per run of \`trailbook iam load\` that stored something.
CREATE TABLE IF NOT EXISTS iam_loads (
  load_id INTEGER PRIMARY KEY,
  loaded_at TIMESTAMPTZ NOT NULL,
  inputs VARCHAR[] NOT NULL,
  tool_version VARCHAR NOT NULL,
  summary JSON
);

-- One row per distinct file content loaded. A file whose SHA-256 is already here is not loaded
-- again (whatever its name).
-- kind: 'authorization-details', 'get-role', 'list-roles' or 'organization'.
-- envelope: NULL, or 'recorded-response' for a boto3 response recorded with its status
-- ({"status_code": ..., "data": ...}), whose data was read.
-- partial: a page of a paginated listing (IsTruncated), loaded only when asked to.
CREATE TABLE IF NOT EXISTS iam_snapshots (
  snapshot_id INTEGER PRIMARY KEY,
  load_id INTEGER NOT NULL,
  path VARCHAR NOT NULL,          -- the file, absolute
  sha256 VARCHAR NOT NULL UNIQUE, -- of its bytes
  size BIGINT NOT NULL,
  kind VARCHAR NOT NULL,
  envelope VARCHAR,
  partial BOOLEAN NOT NULL,
  accounts VARCHAR[] NOT NULL,    -- accounts the snapshot describes (from its ARNs)
  roles INTEGER NOT NULL,
  users INTEGER NOT NULL,
  groups INTEGER NOT NULL,
  policies INTEGER NOT NULL,
  org_accounts INTEGER NOT NULL,
  documents_json INTEGER NOT NULL,        -- policy documents that were JSON (object or text)
  documents_url_encoded INTEGER NOT NULL, -- policy documents that were URL-encoded (raw API)
  warnings JSON NOT NULL,         -- [{code, field, message}]: odd but harmless content
  loaded_at TIMESTAMPTZ NOT NULL
);

-- Roles, with their trust policy.
-- trust_policy_encoding: 'object' (the CLI's decoded JSON), 'json-text' or 'url-encoded'.
CREATE TABLE IF NOT EXISTS iam_roles (
  snapshot_id INTEGER NOT NULL,
  field VARCHAR NOT NULL,          -- where in the file, e.g. RoleDetailList[3]
  account_id VARCHAR NOT NULL,     -- from the role's ARN
  role_name VARCHAR NOT NULL,
  role_id VARCHAR,
  arn VARCHAR NOT NULL,
  path VARCHAR,
  create_date TIMESTAMPTZ,
  description VARCHAR,
  max_session_duration INTEGER,
  trust_policy JSON NOT NULL,
  trust_policy_encoding VARCHAR NOT NULL,
  permissions_boundary_arn VARCHAR,
  attached_policies JSON NOT NULL, -- [{PolicyName, PolicyArn}]
  inline_policies JSON NOT NULL,   -- [{PolicyName, PolicyDocument}] (documents decoded)
  instance_profiles VARCHAR[] NOT NULL,
  tags JSON NOT NULL,              -- [{Key, Value}]
  last_used_at TIMESTAMPTZ,        -- RoleLastUsed.LastUsedDate
  last_used_region VARCHAR
);

CREATE TABLE IF NOT EXISTS iam_users (
  snapshot_id INTEGER NOT NULL,
  field VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  user_name VARCHAR NOT NULL,
  user_id VARCHAR,
  arn VARCHAR NOT NULL,
  path VARCHAR,
  create_date TIMESTAMPTZ,
  groups VARCHAR[] NOT NULL,
  permissions_boundary_arn VARCHAR,
  attached_policies JSON NOT NULL,
  inline_policies JSON NOT NULL,
  tags JSON NOT NULL
);

CREATE TABLE IF NOT EXISTS iam_groups (
  snapshot_id INTEGER NOT NULL,
  field VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  group_name VARCHAR NOT NULL,
  group_id VARCHAR,
  arn VARCHAR NOT NULL,
  path VARCHAR,
  create_date TIMESTAMPTZ,
  attached_policies JSON NOT NULL,
  inline_policies JSON NOT NULL
);

-- Managed policies of an authorization-details export (the account's own and the AWS managed
-- ones in use), with the document of their default version.
CREATE TABLE IF NOT EXISTS iam_policies (
  snapshot_id INTEGER NOT NULL,
  field VARCHAR NOT NULL,
  account_id VARCHAR,              -- NULL for AWS managed policies (arn:aws:iam::aws:policy/...)
  policy_name VARCHAR NOT NULL,
  policy_id VARCHAR,
  arn VARCHAR NOT NULL,
  path VARCHAR,
  default_version_id VARCHAR,
  attachment_count INTEGER,
  document JSON,                   -- the default version's document, decoded
  versions INTEGER NOT NULL
);

-- The organization (describe-organization) and its member accounts (list-accounts).
CREATE TABLE IF NOT EXISTS iam_organizations (
  snapshot_id INTEGER NOT NULL,
  org_id VARCHAR NOT NULL,
  arn VARCHAR,
  management_account_id VARCHAR,
  feature_set VARCHAR
);

CREATE TABLE IF NOT EXISTS iam_org_accounts (
  snapshot_id INTEGER NOT NULL,
  org_id VARCHAR,                  -- from the organization or the account ARN, when known
  account_id VARCHAR NOT NULL,
  name VARCHAR,
  email VARCHAR,
  status VARCHAR,
  arn VARCHAR
);
`;

/** The IAM tables, in the order they are created. */
export const IAM_TABLES = [
  "iam_loads",
  "iam_snapshots",
  "iam_roles",
  "iam_users",
  "iam_groups",
  "iam_policies",
  "iam_organizations",
  "iam_org_accounts",
] as const;

/** Creates the IAM tables when missing (a writable connection); safe to run on every load. */
export async function ensureIamSchema(connection: DuckDBConnection): Promise<void> {
  await connection.run(IAM_SCHEMA_SQL);
}

/**
 * Makes the IAM tables answerable on any connection. A writable one gets the real tables. A
 * read-only one on a case never given an IAM snapshot gets empty TEMP tables of the same shape, so
 * the trust queries run (and say "no snapshot") instead of failing on a missing table. (Temp
 * tables on a writable connection would shadow the real ones a later load creates.)
 */
export async function ensureIamReadable(
  connection: DuckDBConnection,
  readOnly: boolean,
): Promise<void> {
  if (!readOnly) return ensureIamSchema(connection);
  const reader = await connection.runAndReadAll(
    "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'iam_roles' AND NOT temporary",
  );
  if (Number(reader.getRows()[0]![0]) > 0) return;
  await connection.run(
    IAM_SCHEMA_SQL.replaceAll("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE IF NOT EXISTS"),
  );
}

/**
 * The role each (account, role name) resolves to: the row of the most recently loaded snapshot
 * that holds it (role names are unique per account, case-insensitively). `trust_versions` counts
 * the distinct trust documents the case holds for the role across snapshots.
 */
export const CURRENT_ROLES_SQL = `(
  SELECT r.*, s.loaded_at AS snapshot_loaded_at, s.path AS snapshot_path,
    count(DISTINCT r.trust_policy::VARCHAR) OVER (PARTITION BY r.account_id, lower(r.role_name)) AS trust_versions
  FROM iam_roles r JOIN iam_snapshots s USING (snapshot_id)
  QUALIFY row_number() OVER (PARTITION BY r.account_id, lower(r.role_name) ORDER BY r.snapshot_id DESC) = 1
)`;
