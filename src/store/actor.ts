/**
 * Who acted: the `actor` key of an event, one key per principal, computed once when the event is
 * loaded (load-sql.ts) and stored in `events.actor`. Every question the case answers (timelines,
 * STS summaries, the trust check, baselines, reports, notebooks) groups and selects principals
 * by this column and nothing else, so a key one of them prints works in all the others.
 *
 * The key, by `userIdentity.type` (schema.ts documents the same list beside the column):
 *
 * - `AssumedRole`: the ARN of the role (or user) behind the session, `sessionIssuer.arn`, so every
 *   session of a role is one principal; the session's ARN when no issuer is logged.
 * - `AWSAccount` (a cross-account caller as the role owner's trail shows it):
 *   `account:<accountId>`, or `account:<principalId>` when no account is logged.
 * - `AWSService`: `service:<invokedBy>` (`service:config.amazonaws.com`), or the service name
 *   CloudTrail put in `sourceIPAddress`.
 * - `SAMLUser`: `saml:<principalId>`. AWS builds that principal id from the assertion as
 *   `<name qualifier>:<subject>`; the name qualifier is a hash of the IdP's issuer, the account
 *   and the SAML provider's name, so the key tells apart one subject signed in through two
 *   providers. A record without a principal id gets the same shape from
 *   `identityProvider` (or `responseElements.nameQualifier`) and `userName` (or
 *   `responseElements.subject`).
 * - `WebIdentityUser`: `web-identity:<principalId>`, which AWS builds as
 *   `<provider>:<audience>:<subject>` (the provider is an OIDC provider's ARN, or a host such as
 *   `accounts.google.com`). A record without a principal id gets
 *   `<identityProvider or responseElements.provider>:<userName or subjectFromWebIdentityToken>`.
 *   Note: that fallback has no audience, so such a record would not share the key of the same
 *   subject's records that do carry a principal id. Every example AWS documents, and every
 *   record the sample generator writes, carries one.
 * - any other type with an ARN (`IAMUser`, `Root`, `FederatedUser`, `IdentityCenterUser` when
 *   it has one): the ARN.
 * - any other type without an ARN: `<type in lower case>:<accountId>` (for example
 *   `iamuser:123456789012` for a failed console sign-in whose user name AWS hid), else the
 *   `invokedBy` service, else `<type in lower case>:<principalId or userName>`.
 *
 * Note: an `IdentityCenterUser` record without an ARN names its user only inside
 * `onBehalfOf` (`userId`, `identityStoreArn`), which the load does not read; all such users of
 * an account share `identitycenteruser:<accountId>`. Telling them apart needs those two fields
 * in RECORD_STRUCT and a branch here; no record of that shape is in the collected evidence.
 *
 * The actor is NULL only when the record names no caller at all (no userIdentity, or one with
 * none of these fields); the baseline counts such events as unattributed.
 */

const identity = (field: string) => `nullif(j.userIdentity.${field}, '')`;
const response = (field: string) => `nullif(j.responseElements->>'$.${field}', '')`;

/** `<provider>:<subject>` from the fields named, NULL unless both are there. */
const providerAndSubject = (providers: string[], subjects: string[]) =>
  `coalesce(${providers.join(", ")}) || ':' || coalesce(${subjects.join(", ")})`;

/**
 * The actor as SQL over `j`, a record parsed into the struct of RECORD_STRUCT (load-sql.ts).
 * Written for the load; the upgrade of an older case file (upgrade.ts) runs the same expression
 * over records read back from the kept files.
 */
export const ACTOR_SQL = `CASE j.userIdentity.type
    WHEN 'AssumedRole'
      THEN coalesce(${identity("sessionContext.sessionIssuer.arn")}, ${identity("arn")})
    WHEN 'AWSAccount'
      THEN 'account:' || coalesce(${identity("accountId")}, ${identity("principalId")})
    WHEN 'AWSService'
      THEN 'service:' || coalesce(${identity("invokedBy")}, nullif(j.sourceIPAddress, ''))
    WHEN 'SAMLUser'
      THEN 'saml:' || coalesce(${identity("principalId")}, ${providerAndSubject(
        [identity("identityProvider"), response("nameQualifier")],
        [identity("userName"), response("subject")],
      )})
    WHEN 'WebIdentityUser'
      THEN 'web-identity:' || coalesce(${identity("principalId")}, ${providerAndSubject(
        [identity("identityProvider"), response("provider")],
        [identity("userName"), response("subjectFromWebIdentityToken")],
      )})
    ELSE coalesce(${identity("arn")},
      lower(coalesce(${identity("type")}, 'unknown')) || ':' || ${identity("accountId")},
      ${identity("invokedBy")},
      lower(${identity("type")}) || ':'
        || coalesce(${identity("principalId")}, ${identity("userName")}))
  END`;

/** The identity types whose key changed in schema 2 (they had none before): see upgrade.ts. */
export const FEDERATED_IDENTITY_TYPES = ["SAMLUser", "WebIdentityUser"] as const;

// The SAML name qualifier is a base64 hash: it holds no colon.
const SAML_QUALIFIED = /^saml:[A-Za-z0-9+/]+=*:(.+)$/;
const OIDC_PROVIDER_ARN = /^web-identity:arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/;

/**
 * The actor as a label shows it, shorter. For display only (titles, table columns, chart axes):
 * never to select or group, since two actors can share a label (one SAML subject signed in
 * through two providers). Reports and outputs always carry the full key beside it.
 *
 * - an ARN: what follows the account (`user/build-bot`, `role/finance-reports`);
 * - `saml:<name qualifier>:<subject>`: `saml:<subject>`;
 * - `web-identity:<OIDC provider ARN>:<audience>:<subject>`: the provider's host in place of its
 *   ARN (`web-identity:token.actions.githubusercontent.com:sts.amazonaws.com:repo:...`);
 * - any other key as it is.
 */
export function actorLabel(actor: string): string {
  const saml = SAML_QUALIFIED.exec(actor);
  if (saml) return `saml:${saml[1]}`;
  const oidc = OIDC_PROVIDER_ARN.exec(actor);
  if (oidc) return `web-identity:${oidc[1]}`;
  if (!actor.startsWith("arn:")) return actor;
  const rest = actor.split(":").slice(5).join(":");
  return rest || actor;
}
