/**
 * Builders of CloudTrail records with the key order, value shapes and identifiers CloudTrail
 * writes. A record is a plain object whose insertion order is CloudTrail's field order, so
 * `JSON.stringify` gives the compact text of a real log file.
 */
import type { Random } from "./random.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** `2026-10-05T14:03:11Z`: CloudTrail writes seconds, no fraction. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + "Z";
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** STS writes credential expirations in Java's medium format: `Oct 5, 2026, 3:03:11 PM`. */
export function expirationTime(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  const ss = String(d.getUTCSeconds()).padStart(2, "0");
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h12}:${mm}:${ss} ${h < 12 ? "AM" : "PM"}`;
}

export interface RecordFields {
  eventVersion: string;
  userIdentity: JsonObject;
  eventTime: number;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Json;
  responseElements: Json;
  additionalEventData?: JsonObject;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources?: JsonObject[];
  eventType?: string;
  managementEvent: boolean;
  recipientAccountId: string;
  sharedEventID?: string;
  eventCategory: "Management" | "Data";
  tlsDetails?: JsonObject;
  sessionCredentialFromConsole?: "true";
}

/** Assembles the fields in the order CloudTrail writes them; absent optional fields are omitted. */
export function makeRecord(f: RecordFields): JsonObject {
  const r: JsonObject = {
    eventVersion: f.eventVersion,
    userIdentity: f.userIdentity,
    eventTime: isoTime(f.eventTime),
    eventSource: f.eventSource,
    eventName: f.eventName,
    awsRegion: f.awsRegion,
    sourceIPAddress: f.sourceIPAddress,
    userAgent: f.userAgent,
  };
  if (f.errorCode !== undefined) r.errorCode = f.errorCode;
  if (f.errorMessage !== undefined) r.errorMessage = f.errorMessage;
  r.requestParameters = f.requestParameters;
  r.responseElements = f.responseElements;
  if (f.additionalEventData !== undefined) r.additionalEventData = f.additionalEventData;
  r.requestID = f.requestID;
  r.eventID = f.eventID;
  r.readOnly = f.readOnly;
  if (f.resources !== undefined) r.resources = f.resources;
  r.eventType = f.eventType ?? "AwsApiCall";
  r.managementEvent = f.managementEvent;
  r.recipientAccountId = f.recipientAccountId;
  if (f.sharedEventID !== undefined) r.sharedEventID = f.sharedEventID;
  r.eventCategory = f.eventCategory;
  if (f.tlsDetails !== undefined) r.tlsDetails = f.tlsDetails;
  if (f.sessionCredentialFromConsole !== undefined) {
    r.sessionCredentialFromConsole = f.sessionCredentialFromConsole;
  }
  return r;
}

export function tls(host: string, tls13 = true): JsonObject {
  return tls13
    ? {
        tlsVersion: "TLSv1.3",
        cipherSuite: "TLS_AES_128_GCM_SHA256",
        clientProvidedHostHeader: host,
      }
    : {
        tlsVersion: "TLSv1.2",
        cipherSuite: "ECDHE-RSA-AES128-GCM-SHA256",
        clientProvidedHostHeader: host,
      };
}

// ---- identities -------------------------------------------------------------------------------

export interface UserRef {
  account: string;
  name: string;
  id: string; // AIDA...
  arn: string;
  accessKeyId: string; // AKIA...
}

export interface RoleRef {
  account: string;
  name: string;
  path: string;
  id: string; // AROA...
  arn: string;
}

export function iamUserIdentity(user: UserRef, accessKeyId = user.accessKeyId): JsonObject {
  return {
    type: "IAMUser",
    principalId: user.id,
    arn: user.arn,
    accountId: user.account,
    accessKeyId,
    userName: user.name,
  };
}

/** An IAM user calling with temporary credentials from GetSessionToken. */
export function iamUserSessionIdentity(user: UserRef, key: string, created: number): JsonObject {
  return {
    ...iamUserIdentity(user, key),
    sessionContext: { attributes: { creationDate: isoTime(created), mfaAuthenticated: "false" } },
  };
}

export function sessionArn(role: RoleRef, sessionName: string): string {
  return `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`;
}

export interface SessionOptions {
  mfa?: boolean;
  ec2RoleDelivery?: boolean;
  invokedBy?: string;
  webIdentity?: boolean;
  sourceIdentity?: string;
}

export function assumedRoleIdentity(
  role: RoleRef,
  sessionName: string,
  accessKeyId: string,
  created: number,
  options: SessionOptions = {},
): JsonObject {
  const sessionContext: JsonObject = {
    sessionIssuer: {
      type: "Role",
      principalId: role.id,
      arn: role.arn,
      accountId: role.account,
      userName: role.name,
    },
  };
  if (options.webIdentity) sessionContext.webIdFederationData = {};
  sessionContext.attributes = {
    creationDate: isoTime(created),
    mfaAuthenticated: options.mfa ? "true" : "false",
  };
  if (options.sourceIdentity !== undefined) sessionContext.sourceIdentity = options.sourceIdentity;
  if (options.ec2RoleDelivery) sessionContext.ec2RoleDelivery = "2.0";
  const identity: JsonObject = {
    type: "AssumedRole",
    principalId: `${role.id}:${sessionName}`,
    arn: sessionArn(role, sessionName),
    accountId: role.account,
    accessKeyId,
    sessionContext,
  };
  if (options.invokedBy !== undefined) identity.invokedBy = options.invokedBy;
  return identity;
}

export function serviceIdentity(service: string): JsonObject {
  return { type: "AWSService", invokedBy: service };
}

/** How the role owner's trail shows a caller from another account: no ARN, no key. */
export function awsAccountIdentity(principalId: string, accountId: string): JsonObject {
  return { type: "AWSAccount", principalId, accountId };
}

export function rootIdentity(account: string, accessKeyId: string, created: number): JsonObject {
  return {
    type: "Root",
    principalId: account,
    arn: `arn:aws:iam::${account}:root`,
    accountId: account,
    accessKeyId,
    sessionContext: { attributes: { creationDate: isoTime(created), mfaAuthenticated: "true" } },
  };
}

// ---- STS --------------------------------------------------------------------------------------

export interface StsEndpoint {
  type: "global" | "regional";
  /** The region that served the request (for regional calls, the region called). */
  servingRegion: string;
}

/** A regional STS endpoint, serving in its own region. */
export const regional = (region: string): StsEndpoint => ({
  type: "regional",
  servingRegion: region,
});
/** The global endpoint (sts.amazonaws.com), served in us-east-1. */
export const GLOBAL: StsEndpoint = { type: "global", servingRegion: "us-east-1" };

export function stsHost(endpoint: StsEndpoint): string {
  return endpoint.type === "global"
    ? "sts.amazonaws.com"
    : `sts.${endpoint.servingRegion}.amazonaws.com`;
}

/** The region `aws:RequestedRegion` holds: the endpoint's region, us-east-1 for the global one. */
export function requestedRegion(endpoint: StsEndpoint): string {
  return endpoint.type === "global" ? "us-east-1" : endpoint.servingRegion;
}

export interface StsCall {
  userIdentity: JsonObject;
  time: number;
  eventName: string;
  endpoint: StsEndpoint;
  ip: string;
  userAgent: string;
  requestParameters: Json;
  responseElements: Json;
  recipientAccountId: string;
  resources?: JsonObject[];
  sharedEventID?: string;
  errorCode?: string;
  errorMessage?: string;
  extraEventData?: JsonObject;
  eventID?: string;
  requestID?: string;
}

export function stsRecord(rng: Random, call: StsCall): JsonObject {
  const additionalEventData: JsonObject = { ...(call.extraEventData ?? {}) };
  additionalEventData.RequestDetails = {
    awsServingRegion: call.endpoint.servingRegion,
    endpointType: call.endpoint.type,
  };
  const fields: RecordFields = {
    eventVersion: "1.08",
    userIdentity: call.userIdentity,
    eventTime: call.time,
    eventSource: "sts.amazonaws.com",
    eventName: call.eventName,
    // The global endpoint's calls are logged in us-east-1 wherever they were served.
    awsRegion: requestedRegion(call.endpoint),
    sourceIPAddress: call.ip,
    userAgent: call.userAgent,
    requestParameters: call.requestParameters,
    responseElements: call.responseElements,
    additionalEventData,
    requestID: call.requestID ?? rng.uuid(),
    eventID: call.eventID ?? rng.uuid(),
    readOnly: call.eventName === "GetCallerIdentity" || call.eventName.startsWith("AssumeRole"),
    managementEvent: true,
    recipientAccountId: call.recipientAccountId,
    eventCategory: "Management",
    tlsDetails: tls(stsHost(call.endpoint)),
  };
  if (call.resources !== undefined) fields.resources = call.resources;
  if (call.sharedEventID !== undefined) fields.sharedEventID = call.sharedEventID;
  if (call.errorCode !== undefined) {
    fields.errorCode = call.errorCode;
    fields.errorMessage = call.errorMessage ?? "";
  }
  return makeRecord(fields);
}

export function credentials(rng: Random, time: number, durationSec: number): JsonObject {
  return {
    accessKeyId: rng.accessKey("ASIA"),
    sessionToken: rng.sessionToken(),
    expiration: expirationTime(time + durationSec * 1000),
  };
}

export function roleResource(role: RoleRef): JsonObject {
  return { accountId: role.account, type: "AWS::IAM::Role", ARN: role.arn };
}

/** The `responseElements` of a successful AssumeRole; the new session's key comes back too. */
export function assumeRoleResponse(
  rng: Random,
  role: RoleRef,
  sessionName: string,
  time: number,
  durationSec = 3600,
  sourceIdentity?: string,
): { response: JsonObject; accessKeyId: string } {
  const creds = credentials(rng, time, durationSec);
  const response: JsonObject = {
    credentials: creds,
    assumedRoleUser: {
      assumedRoleId: `${role.id}:${sessionName}`,
      arn: sessionArn(role, sessionName),
    },
  };
  if (sourceIdentity !== undefined) response.sourceIdentity = sourceIdentity;
  return { response, accessKeyId: creds.accessKeyId as string };
}

export function accessDeniedAssume(callerArn: string, role: RoleRef, scp: boolean): string {
  return scp
    ? `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${role.arn} with an explicit deny in a service control policy`
    : `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${role.arn}`;
}
