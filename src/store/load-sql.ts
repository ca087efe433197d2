/**
 * The SQL that turns a chunk of record lines (see archive/chunk-writer.ts) into rows.
 *
 * Every record is parsed once, by DuckDB's JSON reader, straight into a struct of the typed
 * fields (RECORD_STRUCT): measured, a third cheaper than reading the lines as text and calling
 * `json_transform` on each. The conversion is lenient (a field of an unexpected type becomes
 * NULL), and a line that is not JSON at all becomes a row of NULLs that names no file: the
 * loader then finds the file short of records and quarantines it (see store/ingest.ts). Reading
 * this tolerantly cost nothing measurable against failing the statement on such a line.
 */
import { ACTOR_SQL } from "./actor.js";
import { quoteString } from "./sql.js";

/** The record fields the load reads; everything else stays in the kept original. */
export const RECORD_STRUCT = JSON.stringify({
  eventVersion: "VARCHAR",
  eventTime: "VARCHAR",
  // Logstash (and the SIEM exports built on it) moves eventTime into @timestamp.
  "@timestamp": "VARCHAR",
  eventSource: "VARCHAR",
  eventName: "VARCHAR",
  awsRegion: "VARCHAR",
  sourceIPAddress: "VARCHAR",
  userAgent: "VARCHAR",
  errorCode: "VARCHAR",
  errorMessage: "VARCHAR",
  readOnly: "VARCHAR",
  eventType: "VARCHAR",
  eventCategory: "VARCHAR",
  managementEvent: "VARCHAR",
  recipientAccountId: "VARCHAR",
  sharedEventID: "VARCHAR",
  vpcEndpointId: "VARCHAR",
  requestID: "VARCHAR",
  eventID: "VARCHAR",
  userIdentity: {
    type: "VARCHAR",
    arn: "VARCHAR",
    principalId: "VARCHAR",
    accountId: "VARCHAR",
    accessKeyId: "VARCHAR",
    userName: "VARCHAR",
    // SAMLUser and WebIdentityUser callers: their key (actor.ts) falls back to it.
    identityProvider: "VARCHAR",
    invokedBy: "VARCHAR",
    sessionContext: {
      sessionIssuer: { type: "VARCHAR", arn: "VARCHAR", userName: "VARCHAR", accountId: "VARCHAR" },
      attributes: { mfaAuthenticated: "VARCHAR", creationDate: "VARCHAR" },
      sourceIdentity: "VARCHAR",
    },
  },
  additionalEventData: "JSON",
  requestParameters: "JSON",
  responseElements: "JSON",
  resources: "JSON",
  insightDetails: "JSON",
  tlsDetails: { clientProvidedHostHeader: "VARCHAR" },
});

/**
 * The longest chunk line DuckDB will read (its `maximum_object_size`). CloudTrail records are
 * far smaller (it truncates request and response parts above 100 KB); the reader quarantines a
 * file holding a longer record (MAX_RECORD_BYTES in archive/evidence-reader.ts).
 */
export const MAX_LINE_BYTES = 32 << 20;

/** RECORD_STRUCT as a DuckDB type (for `read_json`, and `json_transform` of a kept record). */
function duckType(shape: unknown): string {
  if (typeof shape === "string") return shape;
  const fields = Object.entries(shape as Record<string, unknown>).map(
    ([name, inner]) => `"${name}" ${duckType(inner)}`,
  );
  return `STRUCT(${fields.join(", ")})`;
}

export const RECORD_TYPE = duckType(JSON.parse(RECORD_STRUCT));

export function chunkSource(chunkPath: string): string {
  return `read_json(${quoteString(chunkPath)}, format = 'newline_delimited', records = true,
    maximum_object_size = ${MAX_LINE_BYTES + 4096}, ignore_errors = true,
    columns = {'f': 'INTEGER', 'i': 'INTEGER', 'o': 'BIGINT', 'n': 'INTEGER', 'e': 'TINYINT',
               'r': ${quoteString(RECORD_TYPE)}})`;
}

/** The parsed chunk: one row per record, the record's fields in `j`. */
export function parsedChunk(chunkPath: string, fileFilter = ""): string {
  return `(SELECT f, i, o, n, CASE e WHEN 0 THEN 'json' ELSE 'json-string' END AS enc, r AS j
    FROM ${chunkSource(chunkPath)} ${fileFilter})`;
}

/**
 * The record's time: `eventTime`, or, only when a record has none, the `@timestamp` a Logstash
 * pipeline put in its place (seen in real SIEM exports). An eventTime that is present but not a
 * time is never replaced: such a record is set aside.
 */
const EVENT_TIME = `coalesce(nullif(j.eventTime, ''), j."@timestamp")`;

// Records that are not JSON objects never reach a chunk: the reader sets them aside itself.
const IS_EVENT = `(j IS NOT NULL
  AND try_cast(${EVENT_TIME} AS TIMESTAMPTZ) IS NOT NULL
  AND nullif(j.eventSource, '') IS NOT NULL
  AND coalesce(j.eventType, '') <> 'AwsCloudTrailInsight')`;

const IS_INSIGHT = `(j IS NOT NULL AND j.eventType = 'AwsCloudTrailInsight')`;

const s = (expr: string) => `nullif(${expr}, '')`;
// Only STS records carry RequestDetails; reading it from every record's JSON would cost a parse.
const stsDetail = (field: string) =>
  `CASE WHEN j.eventSource = 'sts.amazonaws.com'
    THEN nullif(j.additionalEventData->>'$.RequestDetails.${field}', '') END`;
const jsonPart = (expr: string) => `nullif(${expr}, 'null'::JSON)`;

export function insertEventsSql(chunkPath: string): string {
  const issuer = "j.userIdentity.sessionContext.sessionIssuer";
  return `INSERT INTO events BY NAME
SELECT
  ${s("j.eventID")} AS event_id,
  try_cast(${EVENT_TIME} AS TIMESTAMPTZ) AS event_time,
  ${s("j.eventVersion")} AS event_version,
  j.eventSource AS event_source,
  ${s("j.eventName")} AS event_name,
  ${s("j.awsRegion")} AS aws_region,
  ${s("j.sourceIPAddress")} AS source_ip,
  ${s("j.userAgent")} AS user_agent,
  ${s("j.errorCode")} AS error_code,
  ${s("j.errorMessage")} AS error_message,
  try_cast(j.readOnly AS BOOLEAN) AS read_only,
  ${s("j.eventType")} AS event_type,
  ${s("j.eventCategory")} AS event_category,
  try_cast(j.managementEvent AS BOOLEAN) AS management_event,
  ${s("j.recipientAccountId")} AS recipient_account_id,
  ${s("j.sharedEventID")} AS shared_event_id,
  ${s("j.vpcEndpointId")} AS vpc_endpoint_id,
  ${s("j.requestID")} AS request_id,
  ${s("j.userIdentity.type")} AS identity_type,
  ${s("j.userIdentity.arn")} AS principal_arn,
  ${s("j.userIdentity.principalId")} AS principal_id,
  ${s("j.userIdentity.accountId")} AS account_id,
  ${s("j.userIdentity.accessKeyId")} AS access_key_id,
  ${s("j.userIdentity.userName")} AS user_name,
  ${s("j.userIdentity.invokedBy")} AS invoked_by,
  ${s(`${issuer}.arn`)} AS session_issuer_arn,
  ${s(`${issuer}.type`)} AS session_issuer_type,
  ${s(`${issuer}.userName`)} AS session_issuer_name,
  ${s(`${issuer}.accountId`)} AS session_issuer_account_id,
  try_cast(j.userIdentity.sessionContext.attributes.mfaAuthenticated AS BOOLEAN) AS mfa_authenticated,
  try_cast(j.userIdentity.sessionContext.attributes.creationDate AS TIMESTAMPTZ) AS session_created_at,
  ${s("j.userIdentity.sessionContext.sourceIdentity")} AS source_identity,
  ${ACTOR_SQL} AS actor,
  ${stsDetail("awsServingRegion")} AS sts_serving_region,
  ${stsDetail("endpointType")} AS sts_endpoint_type,
  ${s("j.tlsDetails.clientProvidedHostHeader")} AS tls_host,
  ${jsonPart("j.requestParameters")} AS request_parameters,
  ${jsonPart("j.responseElements")} AS response_elements,
  ${jsonPart("j.additionalEventData")} AS additional_event_data,
  ${jsonPart("j.resources")} AS resources,
  f AS file_id, i AS record_index, o AS record_offset, n AS record_length, enc AS record_encoding
FROM ${parsedChunk(chunkPath)}
WHERE ${IS_EVENT}`;
}

/** The records of the given files that did not become events: Insight events and set-aside. */
export function leftoversSql(chunkPath: string, fileIds: number[]): string {
  const filter = `WHERE f IN (${fileIds.map((id) => String(Math.trunc(id))).join(", ")})`;
  return `CREATE OR REPLACE TEMP TABLE load_leftovers AS
SELECT f AS file_id, i AS record_index, o AS record_offset, n AS record_length,
  enc AS record_encoding,
  CASE WHEN ${IS_INSIGHT} THEN 'insight' ELSE 'set-aside' END AS disposition,
  CASE
    WHEN nullif(${EVENT_TIME}, '') IS NULL THEN 'no eventTime'
    WHEN try_cast(${EVENT_TIME} AS TIMESTAMPTZ) IS NULL THEN 'eventTime is not a time: ' || left(${EVENT_TIME}, 60)
    WHEN nullif(j.eventSource, '') IS NULL THEN 'no eventSource'
  END AS reason,
  j
FROM ${parsedChunk(chunkPath, filter)}
WHERE j IS NOT NULL AND NOT ${IS_EVENT}`;
}

export const INSERT_INSIGHTS_SQL = `INSERT INTO insight_events BY NAME
SELECT nullif(j.eventID, '') AS event_id, try_cast(${EVENT_TIME} AS TIMESTAMPTZ) AS event_time,
  j.eventSource AS event_source, j.eventName AS event_name, j.awsRegion AS aws_region,
  j.recipientAccountId AS recipient_account_id, j.sharedEventID AS shared_event_id,
  j.insightDetails->>'$.insightType' AS insight_type, j.insightDetails->>'$.state' AS insight_state,
  j.insightDetails AS insight_details,
  file_id, record_index, record_offset, record_length, record_encoding
FROM load_leftovers WHERE disposition = 'insight'`;

export const INSERT_SET_ASIDE_SQL = `INSERT INTO set_aside_records BY NAME
SELECT file_id, record_index, reason, record_offset, record_length, record_encoding
FROM load_leftovers WHERE disposition = 'set-aside'`;
