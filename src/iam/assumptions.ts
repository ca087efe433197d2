/**
 * Role assumptions in the case: every `AssumeRole`, `AssumeRoleWithSAML` and
 * `AssumeRoleWithWebIdentity`, one row per call, selected and joined in DuckDB.
 *
 * A cross-account call is logged twice: in the caller's trail with the caller's full identity,
 * and in the role owner's trail, where the caller is only an `AWSAccount` with an account id and
 * a principal id. The copies share `sharedEventID` (and the request id), so they are grouped by it
 * (falling back to the request id and the role asked for when one copy lacks it); the copy with
 * the caller's full identity describes the call, and every copy's event id is kept. When only the
 * owner's copy is in the case (the caller's account is not), the caller stays an account.
 */
import {
  QueryOptionsError,
  filtersToSql,
  normalizeFilters,
  type QueryFilters,
} from "../query/filters.js";
import type { Case, SqlParams } from "../query/case.js";
import { listValue } from "../query/filters.js";
import { REQUESTED_REGION_SQL, STS_SOURCE } from "../query/sts-regions.js";
import { CURRENT_ROLES_SQL } from "./schema.js";

/** The STS calls that assume a role. */
export const ASSUME_EVENT_NAMES = [
  "AssumeRole",
  "AssumeRoleWithSAML",
  "AssumeRoleWithWebIdentity",
] as const;
export type AssumeEventName = (typeof ASSUME_EVENT_NAMES)[number];

/** One role assumption as the log shows it (after joining its copies). */
export interface AssumptionCall {
  /** What groups the copies: the shared event id, else the request id and role, else the event id. */
  call_key: string;
  /** Every copy's event id, and the trail (account) each copy was delivered to. */
  event_ids: string[];
  trails: string[];
  /** The copy describing the call (the caller's own, when present). */
  event_id: string;
  event_time: string;
  event_name: AssumeEventName;
  recipient_account_id: string | null;
  /** Who called: the case's `actor` key of the describing copy (store/actor.ts). */
  actor: string | null;
  identity_type: string | null;
  principal_arn: string | null;
  principal_id: string | null;
  account_id: string | null;
  user_name: string | null;
  access_key_id: string | null;
  invoked_by: string | null;
  session_issuer_arn: string | null;
  mfa_authenticated: boolean | null;
  /** The source identity of the caller's session (userIdentity.sessionContext.sourceIdentity). */
  session_source_identity: string | null;
  source_ip: string | null;
  user_agent: string | null;
  vpc_endpoint_id: string | null;
  tls_host: string | null;
  error_code: string | null;
  error_message: string | null;
  requested_region: string | null;
  /** requestParameters, when logged: whether they were, and what they held. */
  request_logged: boolean;
  role_arn: string | null;
  session_name: string | null;
  external_id: string | null;
  requested_source_identity: string | null;
  mfa_serial: string | null;
  saml_provider_arn: string | null;
  /** JSON text: the session tags asked for (AssumeRole `tags`, SAML `principalTags`). */
  request_tags: string | null;
  principal_tags: string | null;
  /** responseElements of a successful call. */
  issued_access_key_id: string | null;
  session_arn: string | null;
  audience: string | null;
  saml_subject: string | null;
  saml_subject_type: string | null;
  saml_issuer: string | null;
  saml_name_qualifier: string | null;
  oidc_subject: string | null;
  oidc_provider: string | null;
  /** An identity provider named in `resources` (SAML or OIDC provider ARN). */
  resource_provider: string | null;
  /** The role asked for, split, and the snapshot role it resolved to (NULL: not in any snapshot). */
  role_account: string | null;
  role_name: string | null;
  snapshot_role_arn: string | null;
  snapshot_id: number | null;
  trust_versions: number | null;
}

export interface AssumptionSelection extends QueryFilters {
  /** Only these target roles: ARNs or role names (names match in every account). */
  roles?: string[];
}

/** Role ARN parts as SQL over the role asked for. */
const ROLE_ACCOUNT_SQL = `nullif(split_part(role_arn, ':', 5), '')`;
const ROLE_NAME_SQL = `nullif(regexp_extract(role_arn, 'role/(?:.*/)?([^/]+)$', 1), '')`;

/** The SQL selecting the role assumptions, one row per call. */
export function assumptionCallsSql(options: AssumptionSelection = {}): {
  sql: string;
  params: SqlParams;
} {
  const filters = normalizeFilters(options);
  // The time range selects events; the other filters select calls (any of its copies matching),
  // so that the owner's AWSAccount copy is not lost when the caller is asked for by ARN.
  const time = filtersToSql({
    ...filters,
    accounts: [],
    principals: [],
    eventNames: [],
    regions: [],
  });
  const rest = filtersToSql(
    { ...filters, from: null, to: null },
    { regionColumns: ["aws_region", "sts_serving_region"] },
  );
  const roles = (options.roles ?? []).map((r) => r.trim()).filter((r) => r !== "");
  if (options.roles && roles.length === 0) {
    throw new QueryOptionsError("value-invalid", "roles", options.roles, "roles: no role given");
  }
  const params: SqlParams = {
    ...time.params,
    ...rest.params,
    assume_names: listValue([...ASSUME_EVENT_NAMES]),
  };
  let roleFilter = "TRUE";
  if (roles.length) {
    params.roles = listValue(roles.map((r) => r.toLowerCase()));
    roleFilter = `(list_contains($roles, lower(role_arn)) OR list_contains($roles, lower(${ROLE_NAME_SQL})))`;
  }
  const sql = `WITH calls AS (
  SELECT event_id, event_time, event_name, recipient_account_id, shared_event_id, request_id,
    actor, identity_type, principal_arn, principal_id, account_id, user_name, access_key_id, invoked_by,
    session_issuer_arn, mfa_authenticated, source_identity AS session_source_identity,
    source_ip, user_agent, vpc_endpoint_id, tls_host, error_code, error_message,
    ${REQUESTED_REGION_SQL} AS requested_region,
    coalesce(json_type(request_parameters) = 'OBJECT', false) AS request_logged,
    request_parameters->>'$.roleArn' AS role_arn,
    request_parameters->>'$.roleSessionName' AS session_name,
    request_parameters->>'$.externalId' AS external_id,
    request_parameters->>'$.sourceIdentity' AS requested_source_identity,
    request_parameters->>'$.serialNumber' AS mfa_serial,
    request_parameters->>'$.principalArn' AS saml_provider_arn,
    (request_parameters->'$.tags')::VARCHAR AS request_tags,
    (request_parameters->'$.principalTags')::VARCHAR AS principal_tags,
    response_elements->>'$.credentials.accessKeyId' AS issued_access_key_id,
    response_elements->>'$.assumedRoleUser.arn' AS session_arn,
    response_elements->>'$.audience' AS audience,
    response_elements->>'$.subject' AS saml_subject,
    response_elements->>'$.subjectType' AS saml_subject_type,
    response_elements->>'$.issuer' AS saml_issuer,
    response_elements->>'$.nameQualifier' AS saml_name_qualifier,
    response_elements->>'$.subjectFromWebIdentityToken' AS oidc_subject,
    response_elements->>'$.provider' AS oidc_provider,
    list_filter(from_json(coalesce(resources, '[]'), '[{"type":"VARCHAR","ARN":"VARCHAR"}]'),
      r -> r.type IN ('AWS::IAM::SAMLProvider', 'AWS::IAM::OidcProvider'))[1].ARN AS resource_provider,
    ${rest.sql} AS matches
  FROM events
  WHERE event_source = '${STS_SOURCE}' AND list_contains($assume_names, event_name) AND ${time.sql}
), keyed AS (
  SELECT *,
    coalesce(shared_event_id,
      CASE WHEN request_id IS NOT NULL
        THEN max(shared_event_id) OVER (PARTITION BY request_id, role_arn) END,
      CASE WHEN request_id IS NOT NULL THEN 'request:' || request_id || '|' || coalesce(role_arn, '') END,
      'event:' || event_id) AS call_key
  FROM calls
), copies AS (
  SELECT call_key, list(event_id ORDER BY event_id) AS event_ids,
    list(recipient_account_id ORDER BY event_id) AS trails,
    -- The copy describing the call: the caller's own (not an AWSAccount view), first by id.
    arg_min(event_id, (identity_type IS NOT DISTINCT FROM 'AWSAccount', event_id)) AS event_id
  FROM keyed
  GROUP BY call_key
  HAVING bool_or(matches)
), chosen AS (
  SELECT k.* EXCLUDE (matches, shared_event_id, request_id, call_key), p.*,
    ${ROLE_ACCOUNT_SQL} AS role_account, ${ROLE_NAME_SQL} AS role_name
  FROM keyed k JOIN copies p USING (event_id)
  WHERE ${roleFilter}
)
SELECT c.*, r.arn AS snapshot_role_arn, r.snapshot_id, r.trust_versions
FROM chosen c
LEFT JOIN ${CURRENT_ROLES_SQL} r
  ON r.account_id = c.role_account AND lower(r.role_name) = lower(c.role_name)
ORDER BY c.event_time, c.call_key`;
  return { sql, params };
}

/** Runs {@link assumptionCallsSql}: the calls, one row each. */
export async function selectAssumptions(
  c: Case,
  options: AssumptionSelection = {},
): Promise<{ rows: AssumptionCall[]; sql: string; params: SqlParams }> {
  const { sql, params } = assumptionCallsSql(options);
  const { rows } = await c.sql<AssumptionCall>(sql, params);
  return { rows, sql, params };
}
