/**
 * The files of `evidence/other/`: every other shape CloudTrail events arrive in (NDJSON,
 * JSON arrays, lookup-events output, CloudWatch Logs and EventBridge envelopes, bundles) and
 * the broken or foreign files a loader must set aside without stopping.
 */
import zlib from "node:zlib";

import type { Activity } from "./activity.js";
import { writeTarGz, writeZip } from "./bundle.js";
import type { FileKind, FileStatus, QuarantineReason, SkipReason } from "./expected.js";
import type { Random } from "./random.js";
import { assumedRoleIdentity, isoTime, makeRecord, tls, type JsonObject } from "./records.js";
import { apiRecord, type CallContext } from "./service-calls.js";
import { BUCKETS, DAY, DEV, HOUR, MANAGEMENT, PROD, START } from "./world.js";

/** A file as written, with what a loader should make of it. */
export interface OutFile {
  path: string;
  data: Buffer;
  kind: FileKind;
  status: FileStatus;
  reason: QuarantineReason | SkipReason | null;
  /** The records as written (set-aside ones included); empty for files without events. */
  records: JsonObject[];
  setAside: number;
  members?: OutFile[];
}

export function gzip(text: string | Buffer): Buffer {
  return zlib.gzipSync(text, { level: 6 });
}

export function recordsJson(records: readonly JsonObject[]): string {
  return JSON.stringify({ Records: records });
}

function file(
  path: string,
  data: Buffer,
  kind: FileKind,
  records: JsonObject[] = [],
  status: FileStatus = "loaded",
  reason: OutFile["reason"] = null,
): OutFile {
  return { path, data, kind, status, reason, records, setAside: 0 };
}

const OTHER = "evidence/other";

export interface AwkwardInput {
  rng: Random;
  activity: Activity;
  authorizationDetails: JsonObject;
}

/**
 * The awkward shapes and broken files. Their events are drawn from the activity (and so are
 * no longer delivered to the S3 layout): call this before laying out the trail.
 */
export function awkwardFiles(input: AwkwardInput): OutFile[] {
  const { rng, activity } = input;
  const from = START + DAY;
  const to = START + 18 * DAY;
  const fresh = (n: number) => activity.extraOrdinary(n, from, to);
  const out: OutFile[] = [];

  const ndjson = fresh(40);
  out.push(
    file(
      `${OTHER}/siem-export-2026-10.ndjson`,
      Buffer.from(ndjson.map((r) => JSON.stringify(r)).join("\n") + "\n"),
      "ndjson",
      ndjson,
    ),
  );
  const jsonl = fresh(30);
  out.push(
    file(
      `${OTHER}/cloudtrail-events-part-0001.jsonl.gz`,
      gzip(jsonl.map((r) => JSON.stringify(r)).join("\n") + "\n"),
      "ndjson",
      jsonl,
    ),
  );
  const array = fresh(20);
  out.push(
    file(
      `${OTHER}/events-array.json`,
      Buffer.from(JSON.stringify(array, null, 2) + "\n"),
      "json-array",
      array,
    ),
  );

  // A CloudWatch Logs subscription delivery (as Firehose writes it to S3): gzip of the envelope.
  const cwl = fresh(12);
  const cwlDoc = {
    messageType: "DATA_MESSAGE",
    owner: DEV,
    logGroup: "aws-cloudtrail-logs-777788889999-3f1c2a9b",
    logStream: `${DEV}_CloudTrail_us-west-2`,
    subscriptionFilters: ["cloudtrail-to-siem"],
    logEvents: cwl.map((r) => ({
      id: `${Date.parse(r.eventTime as string)}`
        .padEnd(56, "0")
        .replace(/0/g, () => String(rng.int(0, 9))),
      timestamp: Date.parse(r.eventTime as string) + rng.int(1000, 300000),
      message: JSON.stringify(r),
    })),
  };
  out.push(
    file(
      `${OTHER}/cwl-subscription-delivery.json.gz`,
      gzip(JSON.stringify(cwlDoc)),
      "cloudwatch-logs-subscription",
      cwl,
    ),
  );

  const [eb] = fresh(1);
  const ebDoc = {
    version: "0",
    id: rng.uuid(),
    "detail-type": "AWS API Call via CloudTrail",
    source: `aws.${(eb!.eventSource as string).split(".")[0]}`,
    account: eb!.recipientAccountId,
    time: eb!.eventTime,
    region: eb!.awsRegion,
    resources: [],
    detail: eb!,
  };
  out.push(
    file(
      `${OTHER}/eventbridge-event.json`,
      Buffer.from(JSON.stringify(ebDoc, null, 2) + "\n"),
      "eventbridge",
      [eb!],
    ),
  );

  // ---- broken files: meant to hold events, unreadable ----------------------------------------
  const truncatedRecords = fresh(30);
  const whole = gzip(recordsJson(truncatedRecords));
  out.push(
    file(
      `${OTHER}/${DEV}_CloudTrail_us-west-2_20261019T1420Z_kT3v9QmZp2LxW8aB.json.gz`,
      // Cut well inside the deflate stream: the header is intact, the trailer missing.
      whole.subarray(0, Math.floor(whole.length / 2)),
      "cloudtrail-log",
      [],
      "quarantined",
      "truncated-gzip",
    ),
  );
  const malformedText = recordsJson(fresh(8));
  const cut = malformedText.indexOf('"eventID"', Math.floor(malformedText.length / 2));
  out.push(
    file(
      `${OTHER}/malformed-export.json`,
      Buffer.from(malformedText.slice(0, cut) + '"eventID" "' + malformedText.slice(cut + 11)),
      "cloudtrail-log",
      [],
      "quarantined",
      "malformed-json",
    ),
  );
  out.push(
    file(
      `${OTHER}/${PROD}_CloudTrail_us-east-1_20261017T0935Z_N0tGz1pP3dF1l3xQ.json.gz`,
      Buffer.from(recordsJson(fresh(5))),
      "cloudtrail-log",
      [],
      "quarantined",
      "not-gzip",
    ),
  );
  out.push(
    file(
      `${OTHER}/${MANAGEMENT}_CloudTrail_us-east-1_20261011T2305Z_E9mPtY0bYt3sZr0a.json.gz`,
      Buffer.alloc(0),
      "cloudtrail-log",
      [],
      "quarantined",
      "empty",
    ),
  );

  // A good file with one record lacking eventTime and eventSource.
  const partial = fresh(9);
  const broken = { ...fresh(1)[0]! };
  delete broken.eventTime;
  delete broken.eventSource;
  const partialRecords = [...partial.slice(0, 4), broken, ...partial.slice(4)];
  const partialFile = file(
    `${OTHER}/${DEV}_CloudTrail_us-west-2_20261013T1110Z_pR7sM4nE2wQ9yT1u.json.gz`,
    gzip(recordsJson(partialRecords)),
    "cloudtrail-log",
    partialRecords,
  );
  partialFile.setAside = 1;
  out.push(partialFile);

  out.push(largeRequestFile(rng, activity, fresh(4)));
  out.push(bigFile(rng, activity));

  // ---- foreign files, skipped by kind ---------------------------------------------------------
  out.push(
    file(
      `${OTHER}/README.txt`,
      Buffer.from(
        "Evidence package for case IR-2026-0147\n" +
          "Collected by the cloud team on 2026-10-28 from s3://org-cloudtrail-111122223333/\n" +
          "Second export: re-run of the same prefix on 2026-10-29 (overlaps the first).\n" +
          "Bundles: files the dev and prod teams sent by e-mail.\n",
      ),
      "text",
      [],
      "skipped",
      "text",
    ),
  );
  const dsStore = Buffer.alloc(6148);
  Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]).copy(dsStore, 0);
  for (let i = 16; i < 600; i++) dsStore[i] = rng.int(0, 255);
  out.push(file(`${OTHER}/.DS_Store`, dsStore, "junk", [], "skipped", "junk"));
  out.push(
    file(
      `${OTHER}/${DEV}-authorization-details.json`,
      Buffer.from(JSON.stringify(input.authorizationDetails, null, 4) + "\n"),
      "iam-authorization-details",
      [],
      "skipped",
      "iam-export",
    ),
  );

  return out;
}

export interface OverlapInput {
  rng: Random;
  /** Records already in the S3 layout that an event-history export overlaps with. */
  managementRecords: JsonObject[];
  /** Whole log files taken out of the S3 layout to travel only inside the bundles. */
  zipFiles: { name: string; data: Buffer; records: JsonObject[] }[];
  tarFiles: { name: string; data: Buffer; records: JsonObject[] }[];
}

/** Files built from delivered log files: the lookup-events export and the two bundles. */
export function overlapAndBundles(input: OverlapInput): OutFile[] {
  const out: OutFile[] = [];
  // `aws cloudtrail lookup-events` of the management account: overlaps the S3 trail.
  const lookup = input.managementRecords.slice(0, 15);
  const lookupDoc = {
    Events: lookup.map((r) => {
      const identity = r.userIdentity as JsonObject;
      const resources = (r.resources as JsonObject[] | undefined) ?? [];
      return {
        EventId: r.eventID,
        EventName: r.eventName,
        ReadOnly: String(r.readOnly),
        AccessKeyId: (identity.accessKeyId as string | undefined) ?? "",
        EventTime: `${(r.eventTime as string).replace("Z", "")}+00:00`,
        EventSource: r.eventSource,
        Username:
          (identity.userName as string | undefined) ??
          (identity.arn as string | undefined)?.split("/").pop() ??
          "",
        Resources: resources.map((x) => ({ ResourceType: x.type, ResourceName: x.ARN })),
        CloudTrailEvent: JSON.stringify(r),
      };
    }),
  };
  out.push(
    file(
      `${OTHER}/lookup-events-${MANAGEMENT}.json`,
      Buffer.from(JSON.stringify(lookupDoc, null, 4) + "\n"),
      "lookup-events",
      lookup,
    ),
  );

  // ---- bundles ----------------------------------------------------------------------------------
  const mtime = Date.UTC(2026, 9, 28, 18, 40, 0);
  const zipMembers = input.zipFiles.map((f) =>
    file(`${OTHER}/dev-team-logs.zip!${f.name}`, f.data, "cloudtrail-log", f.records),
  );
  const zip = file(
    `${OTHER}/dev-team-logs.zip`,
    writeZip(
      input.zipFiles.map((f) => ({ name: f.name, data: f.data })),
      mtime,
    ),
    "zip",
  );
  zip.members = zipMembers;
  out.push(zip);
  const tarMembers = input.tarFiles.map((f) =>
    file(`${OTHER}/prod-export.tar.gz!${f.name}`, f.data, "cloudtrail-log", f.records),
  );
  const tar = file(
    `${OTHER}/prod-export.tar.gz`,
    writeTarGz(
      input.tarFiles.map((f) => ({ name: f.name, data: f.data })),
      mtime,
    ),
    "tar-gz",
  );
  tar.members = tarMembers;
  out.push(tar);
  return out;
}

/** A PutRolePolicy whose policy document makes requestParameters about 100 KB. */
function largeRequestFile(rng: Random, activity: Activity, others: JsonObject[]): OutFile {
  const role = activity.world.roles.terraformApply!;
  const t = Date.UTC(2026, 9, 15, 16, 20, 7);
  const statements: JsonObject[] = [];
  let size = 0;
  for (let i = 0; size < 100_000; i++) {
    const s = {
      Sid: `AllowBucket${i}`,
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      Resource: [`arn:aws:s3:::dev-tenant-${rng.hex(10)}/*`],
    };
    size += JSON.stringify(s).length;
    statements.push(s);
  }
  const record = makeRecord({
    eventVersion: "1.09",
    userIdentity: assumedRoleIdentity(
      role,
      `terraform-${Math.floor(t / 1000)}`,
      rng.accessKey("ASIA"),
      t - 30_000,
    ),
    eventTime: t,
    eventSource: "iam.amazonaws.com",
    eventName: "PutRolePolicy",
    awsRegion: "us-east-1",
    sourceIPAddress: "34.212.90.101",
    userAgent: activity.world.habits.terraform!.userAgent,
    requestParameters: {
      roleName: "dev-tenant-access",
      policyName: "tenant-buckets",
      policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    },
    responseElements: null,
    requestID: rng.uuid(),
    eventID: rng.uuid(),
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: DEV,
    eventCategory: "Management",
    tlsDetails: tls("iam.amazonaws.com"),
  });
  const records = [others[0]!, others[1]!, record, ...others.slice(2)];
  return file(
    `${OTHER}/${DEV}_CloudTrail_us-east-1_20261015T1625Z_Lg8rQp1ZxV4nB6cD.json.gz`,
    gzip(recordsJson(records)),
    "cloudtrail-log",
    records,
  );
}

/** About 1.9 KB each: 10,000 make ~19 MB of JSON, past DuckDB's 16 MiB default object size. */
const BIG_FILE_RECORDS = 10_000;

/**
 * Ten busy minutes of the prod application role: 10,000 S3 object reads in one file, over 16 MiB
 * once decompressed. Identifiers that are random in real files repeat from small pools here so
 * the file compresses to about a megabyte.
 */
function bigFile(rng: Random, activity: Activity): OutFile {
  const { roles, habits } = activity.world;
  const h = habits.prodApp!;
  const role = roles.prodApp!;
  const start = Date.UTC(2026, 9, 12, 0, 50, 0);
  const identity = assumedRoleIdentity(
    role,
    "i-0a1b2c3d4e5f60718",
    rng.accessKey("ASIA"),
    start - 2 * HOUR,
    {
      ec2RoleDelivery: true,
    },
  );
  const amzIds = Array.from({ length: 40 }, () => rng.base64(76));
  const requestIds = Array.from({ length: 64 }, () => rng.upperAlnum(16));
  const keys = Array.from({ length: 120 }, () => `orders/2026/10/12/${rng.hex(8)}.json`);
  const records: JsonObject[] = [];
  for (let i = 0; i < BIG_FILE_RECORDS; i++) {
    const t = start + Math.floor((i * 600_000) / BIG_FILE_RECORDS);
    const ctx: CallContext = {
      account: PROD,
      region: "us-east-1",
      buckets: BUCKETS[PROD]!,
      time: t,
    };
    const r = apiRecord(rng, "GetObject", ctx, {
      userIdentity: identity,
      ip: `${h.ipPrefix}.${h.hosts[i % 2]!}`,
      userAgent: h.userAgent,
    });
    const extra = r.additionalEventData as JsonObject;
    extra["x-amz-id-2"] = amzIds[i % amzIds.length]!;
    extra.bytesTransferredOut = 4096 + (i % 7) * 512;
    r.requestID = requestIds[i % requestIds.length]!;
    const params = r.requestParameters as JsonObject;
    const bucket = params.bucketName as string;
    params.key = keys[i % keys.length]!;
    (r.resources as JsonObject[])[0]!.ARN = `arn:aws:s3:::${bucket}/${params.key}`;
    records.push(r);
  }
  return file(
    `${OTHER}/${PROD}_CloudTrail_us-east-1_${isoTime(start + 660_000)
      .replace(/[-:]/g, "")
      .slice(0, 13)}Z_B1gF1l3Xq9rT5mWz.json.gz`,
    gzip(recordsJson(records)),
    "cloudtrail-log",
    records,
  );
}
