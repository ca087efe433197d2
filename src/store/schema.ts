/**
 * The case file's schema: every table a case holds, created idempotently.
 *
 * Conventions: times are TIMESTAMPTZ in UTC; identifiers from CloudTrail keep their original
 * spelling; free-form parts of a record stay JSON (their shape changes per API).
 *
 * The whole original record is kept byte for byte, but not as a column of `events`: the case
 * keeps every source file's bytes once (`source_contents`, gzip as delivered), and each event
 * row points at its record's byte range in the decompressed file. Storing the records again as
 * text cost more than the rest of the load together (measured: about 10 ns a byte to insert and
 * compress, against 1 ns a byte to decompress), and made the case file six times larger than the
 * archive; the byte ranges cost two integers a row and give back the exact original bytes.
 * `record.ts` reads them back, and every connection this package opens has the
 * `cloudtrail_record(...)` function and the `event_records` view for SQL.
 */

/**
 * Bumped when the layout, or what a column holds, changes in a way an older case file cannot be
 * read with. Opened for writing, an older case file is upgraded in place (upgrade.ts); opened
 * read-only, it is refused until then. A newer one is always refused.
 *
 * 1: the first layout.
 * 2: `actor` holds a key for SAMLUser and WebIdentityUser callers (NULL in 1), and for other
 *    callers named only by a principal id or user name.
 */
export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS case_meta (
  key VARCHAR PRIMARY KEY,
  value VARCHAR
);

-- One row per ingest run.
CREATE TABLE IF NOT EXISTS ingest_runs (
  run_id INTEGER PRIMARY KEY,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  inputs VARCHAR[] NOT NULL,
  tool_version VARCHAR NOT NULL,
  summary JSON
);

-- Provenance: every file met on disk or inside a bundle, whatever became of it.
-- status: 'loaded' (its records are in the case), 'skipped' (recognised, holds no events: the
-- kind says what it is), 'quarantined' (broken: error says why).
CREATE TABLE IF NOT EXISTS source_files (
  file_id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  path VARCHAR NOT NULL,          -- the file on disk, absolute
  member VARCHAR,                 -- path inside the bundle(s), joined by '!/'; NULL when on disk
  parent_file_id INTEGER,         -- the bundle holding this member
  size BIGINT NOT NULL,           -- bytes as stored (compressed size for .gz)
  sha256 VARCHAR NOT NULL,        -- of those bytes
  kind VARCHAR NOT NULL,
  status VARCHAR NOT NULL,
  error VARCHAR,
  error_code VARCHAR,
  record_count INTEGER NOT NULL,  -- records found in the file (events, insights, set-aside)
  event_count INTEGER NOT NULL,   -- CloudTrail events among them
  loaded_count INTEGER NOT NULL,  -- events that became rows of events
  duplicate_count INTEGER NOT NULL, -- events already in the case (by eventID)
  insight_count INTEGER NOT NULL,
  set_aside_count INTEGER NOT NULL,
  s3_org_id VARCHAR,              -- from an AWSLogs/[o-org/]account/CloudTrail/region/Y/M/D path
  s3_account_id VARCHAR,
  s3_region VARCHAR,
  s3_date DATE,
  duplicate_of INTEGER            -- for kind 'duplicate-file': the file with the same bytes
);

-- One row per unique CloudTrail event (unique by eventID).
CREATE TABLE IF NOT EXISTS events (
  event_id VARCHAR,
  event_time TIMESTAMPTZ NOT NULL, -- eventTime (or, when a SIEM export replaced it, @timestamp)
  event_version VARCHAR,
  event_source VARCHAR NOT NULL,
  event_name VARCHAR,
  aws_region VARCHAR,
  source_ip VARCHAR,
  user_agent VARCHAR,
  error_code VARCHAR,
  error_message VARCHAR,
  read_only BOOLEAN,
  event_type VARCHAR,
  event_category VARCHAR,
  management_event BOOLEAN,
  recipient_account_id VARCHAR,
  shared_event_id VARCHAR,
  vpc_endpoint_id VARCHAR,
  request_id VARCHAR,
  identity_type VARCHAR,          -- userIdentity.type
  principal_arn VARCHAR,          -- userIdentity.arn
  principal_id VARCHAR,           -- userIdentity.principalId
  account_id VARCHAR,             -- userIdentity.accountId
  access_key_id VARCHAR,
  user_name VARCHAR,              -- userIdentity.userName
  invoked_by VARCHAR,
  session_issuer_arn VARCHAR,     -- the role (or user) behind an assumed-role session
  session_issuer_type VARCHAR,
  session_issuer_name VARCHAR,
  session_issuer_account_id VARCHAR,
  mfa_authenticated BOOLEAN,
  session_created_at TIMESTAMPTZ,
  source_identity VARCHAR,
  -- Who acted, one key per principal, by userIdentity.type (computed at load: store/actor.ts):
  --   AssumedRole      the role (or user) behind the session, sessionIssuer.arn, so every session
  --                    of a role shares it; the session ARN when no issuer is logged
  --   AWSAccount       'account:<accountId>' (a cross-account caller seen only as an account)
  --   AWSService       'service:<invokedBy>'
  --   SAMLUser         'saml:<principalId>' (AWS writes it '<name qualifier>:<subject>')
  --   WebIdentityUser  'web-identity:<principalId>' ('<provider>:<audience>:<subject>')
  --   others           the ARN; without one '<type in lower case>:<accountId>', the invokedBy
  --                    service, or '<type in lower case>:<principalId or userName>'
  -- NULL only when the record names no caller. Every query, the trust check and the baseline
  -- select and group principals by this column.
  actor VARCHAR,
  sts_serving_region VARCHAR,     -- additionalEventData.RequestDetails.awsServingRegion
  sts_endpoint_type VARCHAR,      -- additionalEventData.RequestDetails.endpointType
  tls_host VARCHAR,               -- tlsDetails.clientProvidedHostHeader
  request_parameters JSON,
  response_elements JSON,
  additional_event_data JSON,
  resources JSON,
  file_id INTEGER NOT NULL,       -- source_files.file_id
  record_index INTEGER NOT NULL,  -- position of the record in its file, from 0
  record_offset BIGINT NOT NULL,  -- byte range of the record in the decompressed file
  record_length INTEGER NOT NULL,
  record_encoding VARCHAR NOT NULL -- 'json', or 'json-string' (a JSON string holding the record)
);

-- The bytes of every file whose records are in the case (and of quarantined files), once per
-- content: gzip as delivered, or gzip of the original when it was not compressed.
CREATE TABLE IF NOT EXISTS source_contents (
  sha256 VARCHAR PRIMARY KEY,
  original_gzipped BOOLEAN NOT NULL, -- true: content is the original bytes
  content BLOB NOT NULL
);

-- Copies of events already in the case: counted, and kept as pointers, never loaded twice.
CREATE TABLE IF NOT EXISTS duplicate_events (
  event_id VARCHAR NOT NULL,
  file_id INTEGER NOT NULL,
  record_index INTEGER NOT NULL
);

-- Files whose events are committed but not yet checked for copies that another loader committed
-- at the same time (store/duplicates.ts). Empty after every finished load; a load killed between
-- a commit and its check leaves rows here, and the next load finishes the check first.
CREATE TABLE IF NOT EXISTS dedup_pending (
  file_id INTEGER NOT NULL
);

-- Records found in a good file that are not CloudTrail events (no eventTime or eventSource,
-- or an eventTime that is not a time): kept with their place and the reason.
CREATE TABLE IF NOT EXISTS set_aside_records (
  file_id INTEGER NOT NULL,
  record_index INTEGER NOT NULL,
  reason VARCHAR NOT NULL,
  record_offset BIGINT NOT NULL,
  record_length INTEGER NOT NULL,
  record_encoding VARCHAR NOT NULL
);

-- CloudTrail Insights events (eventType AwsCloudTrailInsight).
CREATE TABLE IF NOT EXISTS insight_events (
  event_id VARCHAR,
  event_time TIMESTAMPTZ,
  event_source VARCHAR,
  event_name VARCHAR,
  aws_region VARCHAR,
  recipient_account_id VARCHAR,
  shared_event_id VARCHAR,
  insight_type VARCHAR,
  insight_state VARCHAR,
  insight_details JSON,
  file_id INTEGER NOT NULL,
  record_index INTEGER NOT NULL,
  record_offset BIGINT NOT NULL,
  record_length INTEGER NOT NULL,
  record_encoding VARCHAR NOT NULL
);

-- Digest files, kept for integrity checks of the log files they list.
CREATE TABLE IF NOT EXISTS digest_files (
  file_id INTEGER NOT NULL,
  account_id VARCHAR,
  digest_start_time TIMESTAMPTZ,
  digest_end_time TIMESTAMPTZ,
  digest_s3_bucket VARCHAR,
  digest_s3_object VARCHAR,
  previous_digest_s3_object VARCHAR,
  previous_digest_hash VARCHAR,
  previous_digest_signature VARCHAR,
  public_key_fingerprint VARCHAR,
  signature_algorithm VARCHAR,
  document JSON NOT NULL
);

CREATE TABLE IF NOT EXISTS digest_log_files (
  file_id INTEGER NOT NULL,       -- the digest file
  s3_bucket VARCHAR,
  s3_object VARCHAR,
  hash_value VARCHAR,
  hash_algorithm VARCHAR,
  oldest_event_time TIMESTAMPTZ,
  newest_event_time TIMESTAMPTZ
);
`;
