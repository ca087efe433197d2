/**
 * The ordinary calls principals make to services other than STS (S3, EC2, IAM, Organizations,
 * Cost Explorer...): each API's event source, region rule, parameters and response as CloudTrail
 * logs them, and the record built from them.
 */
import type { Random } from "./random.js";
import {
  type Json,
  type JsonObject,
  isoTime,
  type RecordFields,
  makeRecord,
  tls,
} from "./records.js";

/** What a principal's ordinary call needs to know about where it runs. */
export interface CallContext {
  account: string;
  region: string;
  buckets: readonly string[];
  time: number;
}

export interface ApiShape {
  eventSource: string;
  eventVersion: string;
  /** The region the record is logged in: global services log in us-east-1. */
  awsRegion: string;
  readOnly: boolean;
  management: boolean;
  requestParameters: Json;
  responseElements: Json;
  additionalEventData?: JsonObject;
  resources?: JsonObject[];
  host: string;
  requestID: string;
  eventType?: string;
}

function s3Extra(rng: Random, bytesOut: number): JsonObject {
  return {
    SignatureVersion: "SigV4",
    CipherSuite: "TLS_AES_128_GCM_SHA256",
    bytesTransferredIn: 0,
    AuthenticationMethod: "AuthHeader",
    "x-amz-id-2": rng.base64(76),
    bytesTransferredOut: bytesOut,
  };
}

const KEY_PREFIXES = ["orders/2026/10/", "exports/daily/", "invoices/", "reports/q4/", "static/"];

/** The event names ordinary principals use; each knows its service's request shape. */
export const ORDINARY_APIS = [
  "ListBuckets",
  "GetBucketPolicy",
  "GetBucketAcl",
  "GetObject",
  "PutObject",
  "ListObjects",
  "DescribeInstances",
  "DescribeSecurityGroups",
  "DescribeRegions",
  "ListUsers",
  "ListRoles",
  "GetUser",
  "LookupEvents",
  "DescribeTrails",
  "GetTrailStatus",
  "Decrypt",
  "GetSecretValue",
  "GetItem",
  "PutItem",
  "GetCostAndUsage",
  "GetAuthorizationToken",
  "DescribeServices",
  "UpdateService",
  "GetMetricData",
  "DescribeStacks",
  "ListAccounts",
  "DescribeAlarms",
] as const;
export type OrdinaryApi = (typeof ORDINARY_APIS)[number];

export function apiShape(rng: Random, name: OrdinaryApi, ctx: CallContext): ApiShape {
  const { account, region } = ctx;
  const uuid = rng.uuid();
  const bucket = rng.pick(ctx.buckets);
  const base = (eventSource: string, host: string, readOnly = true): ApiShape => ({
    eventSource,
    eventVersion: "1.09",
    awsRegion: region,
    readOnly,
    management: true,
    requestParameters: null,
    responseElements: null,
    host,
    requestID: uuid,
  });
  switch (name) {
    case "ListBuckets":
      return {
        ...base("s3.amazonaws.com", "s3.amazonaws.com"),
        eventVersion: "1.10",
        awsRegion: "us-east-1",
        requestParameters: { Host: "s3.amazonaws.com" },
        additionalEventData: s3Extra(rng, rng.int(900, 4000)),
        requestID: rng.upperAlnum(16),
      };
    case "GetBucketPolicy":
    case "GetBucketAcl": {
      const host = `${bucket}.s3.${region}.amazonaws.com`;
      const param = name === "GetBucketPolicy" ? "policy" : "acl";
      return {
        ...base("s3.amazonaws.com", host),
        eventVersion: "1.10",
        requestParameters: { bucketName: bucket, Host: host, [param]: "" },
        additionalEventData: s3Extra(rng, rng.int(300, 1500)),
        resources: [{ accountId: account, type: "AWS::S3::Bucket", ARN: `arn:aws:s3:::${bucket}` }],
        requestID: rng.upperAlnum(16),
      };
    }
    case "GetObject":
    case "PutObject":
    case "ListObjects": {
      const host = `${bucket}.s3.${region}.amazonaws.com`;
      const key = `${rng.pick(KEY_PREFIXES)}${rng.hex(8)}.json`;
      const shape: ApiShape = {
        ...base("s3.amazonaws.com", host, name !== "PutObject"),
        eventVersion: "1.10",
        management: false,
        additionalEventData: s3Extra(rng, name === "PutObject" ? 0 : rng.int(200, 90000)),
        requestID: rng.upperAlnum(16),
      };
      if (name === "ListObjects") {
        shape.requestParameters = {
          bucketName: bucket,
          Host: host,
          prefix: rng.pick(KEY_PREFIXES),
        };
        shape.resources = [
          { accountId: account, type: "AWS::S3::Bucket", ARN: `arn:aws:s3:::${bucket}` },
        ];
      } else {
        shape.requestParameters = { bucketName: bucket, Host: host, key };
        if (name === "PutObject") {
          shape.responseElements = { "x-amz-server-side-encryption": "aws:kms" };
        }
        shape.resources = [
          { type: "AWS::S3::Object", ARN: `arn:aws:s3:::${bucket}/${key}` },
          { accountId: account, type: "AWS::S3::Bucket", ARN: `arn:aws:s3:::${bucket}` },
        ];
      }
      return shape;
    }
    case "DescribeInstances":
      return {
        ...base("ec2.amazonaws.com", `ec2.${region}.amazonaws.com`),
        eventVersion: "1.10",
        requestParameters: { instancesSet: {}, filterSet: {}, includeAllResources: false },
      };
    case "DescribeSecurityGroups":
      return {
        ...base("ec2.amazonaws.com", `ec2.${region}.amazonaws.com`),
        eventVersion: "1.10",
        requestParameters: { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} },
      };
    case "DescribeRegions":
      return {
        ...base("ec2.amazonaws.com", `ec2.${region}.amazonaws.com`),
        eventVersion: "1.10",
        requestParameters: { regionSet: {}, allRegions: false },
      };
    case "ListUsers":
    case "ListRoles":
      return {
        ...base("iam.amazonaws.com", "iam.amazonaws.com"),
        awsRegion: "us-east-1",
        requestParameters: { maxItems: 100 },
      };
    case "GetUser":
      return {
        ...base("iam.amazonaws.com", "iam.amazonaws.com"),
        awsRegion: "us-east-1",
      };
    case "LookupEvents":
      return {
        ...base("cloudtrail.amazonaws.com", `cloudtrail.${region}.amazonaws.com`),
        eventVersion: "1.09",
        requestParameters: {
          startTime: isoTime(ctx.time - 86_400_000),
          endTime: isoTime(ctx.time),
          maxResults: 50,
        },
      };
    case "DescribeTrails":
      return {
        ...base("cloudtrail.amazonaws.com", `cloudtrail.${region}.amazonaws.com`),
        requestParameters: { trailNameList: [], includeShadowTrails: true },
      };
    case "GetTrailStatus":
      return {
        ...base("cloudtrail.amazonaws.com", `cloudtrail.${region}.amazonaws.com`),
        requestParameters: { name: `arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail` },
        resources: [
          {
            accountId: "111122223333",
            type: "AWS::CloudTrail::Trail",
            ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail",
          },
        ],
      };
    case "Decrypt": {
      const keyArn = `arn:aws:kms:${region}:${account}:key/${rng.uuid()}`;
      return {
        ...base("kms.amazonaws.com", `kms.${region}.amazonaws.com`),
        eventVersion: "1.10",
        requestParameters: {
          encryptionAlgorithm: "SYMMETRIC_DEFAULT",
          encryptionContext: { "aws:s3:arn": `arn:aws:s3:::${bucket}` },
        },
        resources: [{ accountId: account, type: "AWS::KMS::Key", ARN: keyArn }],
      };
    }
    case "GetSecretValue":
      return {
        ...base("secretsmanager.amazonaws.com", `secretsmanager.${region}.amazonaws.com`),
        eventVersion: "1.10",
        requestParameters: {
          secretId: `arn:aws:secretsmanager:${region}:${account}:secret:prod/orders/db-${rng.alnum(6)}`,
        },
      };
    case "GetItem":
    case "PutItem":
      return {
        ...base("dynamodb.amazonaws.com", `dynamodb.${region}.amazonaws.com`, name === "GetItem"),
        eventVersion: "1.10",
        management: false,
        requestParameters: {
          tableName: "orders",
          key: { pk: `ORDER#${rng.int(100000, 999999)}`, sk: "META" },
        },
        resources: [
          {
            accountId: account,
            type: "AWS::DynamoDB::Table",
            ARN: `arn:aws:dynamodb:${region}:${account}:table/orders`,
          },
        ],
      };
    case "GetCostAndUsage":
      return {
        ...base("ce.amazonaws.com", "ce.us-east-1.amazonaws.com"),
        awsRegion: "us-east-1",
        requestParameters: {
          timePeriod: { start: "2026-09-01", end: "2026-10-01" },
          granularity: "MONTHLY",
          metrics: ["UnblendedCost"],
          groupBy: [{ type: "DIMENSION", key: "LINKED_ACCOUNT" }],
        },
      };
    case "GetAuthorizationToken":
      return {
        ...base("ecr.amazonaws.com", `api.ecr.${region}.amazonaws.com`),
        eventVersion: "1.08",
        requestParameters: { registryIds: [account] },
      };
    case "DescribeServices":
    case "UpdateService": {
      const shape = base(
        "ecs.amazonaws.com",
        `ecs.${region}.amazonaws.com`,
        name !== "UpdateService",
      );
      shape.requestParameters =
        name === "UpdateService"
          ? { cluster: "prod", service: "orders-api", forceNewDeployment: true }
          : { cluster: "prod", services: ["orders-api"] };
      if (name === "UpdateService") {
        shape.responseElements = {
          service: {
            serviceArn: `arn:aws:ecs:${region}:${account}:service/prod/orders-api`,
            status: "ACTIVE",
          },
        };
      }
      return shape;
    }
    case "GetMetricData":
      return {
        ...base("monitoring.amazonaws.com", `monitoring.${region}.amazonaws.com`),
        eventVersion: "1.09",
        requestParameters: {
          startTime: isoTime(ctx.time - 3_600_000),
          endTime: isoTime(ctx.time),
          metricDataQueries: [{ id: "cpu", metricStat: { period: 300, stat: "Average" } }],
        },
      };
    case "DescribeStacks":
      return {
        ...base("cloudformation.amazonaws.com", `cloudformation.${region}.amazonaws.com`),
        requestParameters: { stackName: "baseline-guardrails" },
      };
    case "ListAccounts":
      return {
        ...base("organizations.amazonaws.com", "organizations.us-east-1.amazonaws.com"),
        awsRegion: "us-east-1",
      };
    case "DescribeAlarms":
      return {
        ...base("monitoring.amazonaws.com", `monitoring.${region}.amazonaws.com`),
        requestParameters: { stateValue: "ALARM", maxRecords: 100 },
      };
  }
}

/** An ordinary (non-STS) call by `userIdentity`, optionally refused with an error. */
export function apiRecord(
  rng: Random,
  name: OrdinaryApi,
  ctx: CallContext,
  who: { userIdentity: JsonObject; ip: string; userAgent: string },
  error?: { code: string; message: string },
): JsonObject {
  const shape = apiShape(rng, name, ctx);
  const fields: RecordFields = {
    eventVersion: shape.eventVersion,
    userIdentity: who.userIdentity,
    eventTime: ctx.time,
    eventSource: shape.eventSource,
    eventName: name,
    awsRegion: shape.awsRegion,
    sourceIPAddress: who.ip,
    userAgent: who.userAgent,
    requestParameters: shape.requestParameters,
    responseElements: error ? null : shape.responseElements,
    requestID: shape.requestID,
    eventID: rng.uuid(),
    readOnly: shape.readOnly,
    managementEvent: shape.management,
    recipientAccountId: ctx.account,
    eventCategory: shape.management ? "Management" : "Data",
  };
  if (shape.additionalEventData !== undefined) {
    fields.additionalEventData = shape.additionalEventData;
  }
  if (shape.resources !== undefined) fields.resources = shape.resources;
  if (error) {
    fields.errorCode = error.code;
    fields.errorMessage = error.message;
  }
  // Calls made by an AWS service on a principal's behalf carry no TLS details of their own.
  if (who.userIdentity.invokedBy === undefined) fields.tlsDetails = tls(shape.host);
  return makeRecord(fields);
}
