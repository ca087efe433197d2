/**
 * The closed vocabularies of evidence files: what a file is, and what became of it.
 */

/** Files whose records are loaded as events (or Insight events). */
export const EVENT_FILE_KINDS = [
  "cloudtrail-log", // {"Records":[...]} as CloudTrail delivers to S3
  "cloudtrail-insight", // the same shape under CloudTrail-Insight/
  "ndjson-events", // one event (or envelope) per line: SIEM and CloudWatch Logs exports
  "json-array-events", // [event, ...]
  "lookup-events", // aws cloudtrail lookup-events: Events[].CloudTrailEvent as JSON strings
  "cloudwatch-logs-subscription", // DATA_MESSAGE envelopes, logEvents[].message as JSON strings
  "eventbridge-event", // EventBridge / CloudWatch Events envelope, the event in `detail`
  "single-event", // one event object
] as const;

/** Files recognised as something other than events. */
export const OTHER_FILE_KINDS = [
  "cloudtrail-digest",
  "zip-bundle",
  "tar-bundle",
  "cloudwatch-logs-control-message",
  "iam-authorization-details",
  "iam-role",
  "iam-roles",
  "organization",
  "sns-notification",
  "json-unrecognised",
  "csv",
  "yaml",
  "text",
  "binary",
  "duplicate-file", // same bytes as a file already in the case, under another path
  "unknown", // broken before its kind could be told
] as const;

export type EventFileKind = (typeof EVENT_FILE_KINDS)[number];
export type FileKind = EventFileKind | (typeof OTHER_FILE_KINDS)[number];

export const FILE_STATUSES = ["loaded", "skipped", "quarantined"] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** Why a file was quarantined: a stable code, with a human message beside it. */
export const QUARANTINE_CODES = [
  "empty-file",
  "gzip-truncated",
  "gzip-corrupt",
  "not-gzip",
  "invalid-utf8",
  "malformed-json",
  "bundle-corrupt",
  "unreadable",
  "too-large",
] as const;
export type QuarantineCode = (typeof QUARANTINE_CODES)[number];

export function isEventFileKind(kind: string): kind is EventFileKind {
  return (EVENT_FILE_KINDS as readonly string[]).includes(kind);
}

/**
 * How a record's bytes sit in its file: `json` is the record's own JSON text; `json-string` is a
 * JSON string literal whose decoded value is the record's JSON text (lookup-events,
 * CloudWatch Logs messages).
 */
export const RECORD_ENCODINGS = ["json", "json-string"] as const;
export type RecordEncoding = (typeof RECORD_ENCODINGS)[number];
