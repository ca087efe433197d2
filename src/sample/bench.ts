/**
 * A large S3-layout archive for load benchmarks: ~45,000 small files per million events, as
 * quiet accounts and regions produce, plus busy hours of 1,000-20,000 records. Records are
 * built from string templates (no JSON.stringify of deep objects) and each file is gzipped and
 * written before the next is built, so memory stays bounded by the largest file.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

import { Random } from "./random.js";

export interface BenchArchiveOptions {
  outDir: string;
  /** At least this many events are written. */
  events: number;
  seed?: number;
}

export interface BenchArchiveResult {
  files: number;
  events: number;
  compressedBytes: number;
  jsonBytes: number;
}

const REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-north-1",
  "ap-south-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "sa-east-1",
];
const ORG = "o-h3n8q2v5xk";

/** The accounts of the bench archive; the first delivers in the organization-trail layout. */
export const BENCH_ACCOUNTS: readonly string[] = Array.from({ length: 10 }, (_, i) =>
  String(210000000000 + i * 101010101 + 7),
);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const START = Date.UTC(2026, 8, 1);
const DAYS = 30;

/** Fast identifiers: one u32 gives four hex bytes. */
class Ids {
  constructor(private readonly rng: Random) {}
  hex8(): string {
    const x = this.rng.u32();
    return HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;
  }
  uuid(): string {
    const a = this.hex8();
    const b = this.hex8();
    const c = this.hex8();
    const d = this.hex8();
    return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${"89ab"[this.rng.u32() & 3]}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }
  upper(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += UPPER[this.rng.u32() & 31];
    return s;
  }
}

interface Principal {
  /** `"userIdentity":{...}` text, ready to splice. */
  identity: string;
  ip: string;
  userAgent: string;
}

const UAS = [
  "aws-cli/2.15.30 Python/3.11.8 Linux/5.15.0-1051-aws exe/x86_64.ubuntu.22 prompt/off",
  "aws-sdk-java/2.25.10 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy",
  "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.214-202.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84",
  "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2",
];

function principals(rng: Random, ids: Ids, account: string): Principal[] {
  const out: Principal[] = [];
  for (const name of ["app-ec2", "etl-runner", "ops-admin", "ci-deploy", "monitoring"]) {
    const roleId = "AROA" + ids.upper(17);
    const session = `i-0${ids.hex8()}${ids.hex8().slice(0, 4)}`;
    const created =
      new Date(START + rng.int(0, DAYS) * 86_400_000).toISOString().slice(0, 19) + "Z";
    out.push({
      identity:
        `"userIdentity":{"type":"AssumedRole","principalId":"${roleId}:${session}","arn":"arn:aws:sts::${account}:assumed-role/${name}/${session}",` +
        `"accountId":"${account}","accessKeyId":"ASIA${ids.upper(16)}","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"${roleId}",` +
        `"arn":"arn:aws:iam::${account}:role/${name}","accountId":"${account}","userName":"${name}"},"attributes":{"creationDate":"${created}","mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}}`,
      ip: `${rng.int(3, 54)}.${rng.int(1, 254)}.${rng.int(1, 254)}.${rng.int(1, 254)}`,
      userAgent: rng.pick(UAS),
    });
  }
  for (const name of ["svc-backup", "jenkins"]) {
    out.push({
      identity: `"userIdentity":{"type":"IAMUser","principalId":"AIDA${ids.upper(17)}","arn":"arn:aws:iam::${account}:user/${name}","accountId":"${account}","accessKeyId":"AKIA${ids.upper(16)}","userName":"${name}"}`,
      ip: `${rng.int(3, 54)}.${rng.int(1, 254)}.${rng.int(1, 254)}.${rng.int(1, 254)}`,
      userAgent: rng.pick(UAS),
    });
  }
  return out;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + "Z";
}

const TLS = (host: string) =>
  `"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"${host}"}`;

/** One record as compact JSON, from one of a few templates. */
function record(
  rng: Random,
  ids: Ids,
  account: string,
  region: string,
  p: Principal,
  time: number,
): string {
  const head = `{"eventVersion":"1.`;
  const when = `"eventTime":"${iso(time)}"`;
  const who = `"sourceIPAddress":"${p.ip}","userAgent":"${p.userAgent}"`;
  const tail = `"eventID":"${ids.uuid()}"`;
  const kind = rng.u32() % 10;
  if (kind < 4) {
    const bucket = `data-${account}-${region}`;
    const key = `part-${ids.hex8()}/${ids.hex8()}.parquet`;
    const host = `${bucket}.s3.${region}.amazonaws.com`;
    return (
      `${head}10",${p.identity},${when},"eventSource":"s3.amazonaws.com","eventName":"${kind < 3 ? "GetObject" : "PutObject"}","awsRegion":"${region}",${who},` +
      `"requestParameters":{"bucketName":"${bucket}","Host":"${host}","key":"${key}"},"responseElements":null,` +
      `"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"${ids.uuid()}${ids.hex8()}","bytesTransferredOut":${rng.u32() % 200000}},` +
      `"requestID":"${ids.upper(16)}",${tail},"readOnly":${kind < 3},"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::${bucket}/${key}"},{"accountId":"${account}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::${bucket}"}],` +
      `"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"${account}","eventCategory":"Data",${TLS(host)}}`
    );
  }
  if (kind < 6) {
    const keyId = ids.uuid();
    return (
      `${head}10",${p.identity},${when},"eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"${region}",${who},` +
      `"requestParameters":{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::data-${account}-${region}"}},"responseElements":null,` +
      `"requestID":"${ids.uuid()}",${tail},"readOnly":true,"resources":[{"accountId":"${account}","type":"AWS::KMS::Key","ARN":"arn:aws:kms:${region}:${account}:key/${keyId}"}],` +
      `"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"${account}","eventCategory":"Management",${TLS(`kms.${region}.amazonaws.com`)}}`
    );
  }
  if (kind < 8) {
    return (
      `${head}10",${p.identity},${when},"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"${region}",${who},` +
      `"requestParameters":{"instancesSet":{},"filterSet":{"items":[{"name":"tag:team","valueSet":{"items":[{"value":"data"}]}}]}},"responseElements":null,` +
      `"requestID":"${ids.uuid()}",${tail},"readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"${account}","eventCategory":"Management",${TLS(`ec2.${region}.amazonaws.com`)}}`
    );
  }
  const global = (rng.u32() & 3) === 0;
  const awsRegion = global ? "us-east-1" : region;
  const host = global ? "sts.amazonaws.com" : `sts.${region}.amazonaws.com`;
  const details = `"additionalEventData":{"RequestDetails":{"awsServingRegion":"${region}","endpointType":"${global ? "global" : "regional"}"}}`;
  if (kind === 8) {
    return (
      `${head}08",${p.identity},${when},"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"${awsRegion}",${who},` +
      `"requestParameters":null,"responseElements":null,${details},"requestID":"${ids.uuid()}",${tail},"readOnly":true,` +
      `"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"${account}","eventCategory":"Management",${TLS(host)}}`
    );
  }
  const roleId = "AROA" + ids.upper(17);
  const session = `batch-${ids.hex8()}`;
  const roleArn = `arn:aws:iam::${account}:role/etl-worker`;
  return (
    `${head}08",${p.identity},${when},"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"${awsRegion}",${who},` +
    `"requestParameters":{"roleArn":"${roleArn}","roleSessionName":"${session}","durationSeconds":3600},` +
    `"responseElements":{"credentials":{"accessKeyId":"ASIA${ids.upper(16)}","sessionToken":"IQoJb3JpZ2luX2VjE${ids.uuid()}${ids.uuid()}","expiration":"${iso(time + 3_600_000)}"},` +
    `"assumedRoleUser":{"assumedRoleId":"${roleId}:${session}","arn":"arn:aws:sts::${account}:assumed-role/etl-worker/${session}"}},` +
    `${details},"requestID":"${ids.uuid()}",${tail},"readOnly":true,"resources":[{"accountId":"${account}","type":"AWS::IAM::Role","ARN":"${roleArn}"}],` +
    `"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"${account}","eventCategory":"Management",${TLS(host)}}`
  );
}

function stamp(ms: number): string {
  return iso(ms).replace(/[-:]/g, "").slice(0, 13) + "Z";
}

export async function writeBenchArchive(options: BenchArchiveOptions): Promise<BenchArchiveResult> {
  const rng = new Random(options.seed ?? 1).fork("bench");
  const ids = new Ids(rng);
  const accounts = BENCH_ACCOUNTS;
  const people = new Map(accounts.map((a) => [a, principals(rng, ids, a)]));
  const dirs = new Set<string>();
  let buffer = Buffer.allocUnsafe(1 << 20);
  let files = 0;
  let events = 0;
  let compressedBytes = 0;
  let jsonBytes = 0;

  const writeOne = (account: string, region: string, hourMs: number, count: number) => {
    const who = people.get(account)!;
    // Records of the hour before delivery, not sorted. Each record is written straight into a
    // reused buffer: no large string is ever built or flattened.
    let used = buffer.write('{"Records":[', 0, "latin1");
    for (let i = 0; i < count; i++) {
      if (used + 16_384 > buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, used);
        buffer = bigger;
      }
      if (i > 0) buffer[used++] = 0x2c; // ","
      const text = record(
        rng,
        ids,
        account,
        region,
        who[rng.u32() % who.length]!,
        hourMs + (rng.u32() % 3_600_000),
      );
      // Every template is ASCII, so latin1 writes it byte for byte, faster than utf8.
      used += buffer.write(text, used, "latin1");
    }
    used += buffer.write("]}", used, "latin1");
    const delivered = hourMs + 3_600_000 + (rng.u32() % 900_000);
    const date = iso(delivered).slice(0, 10).replaceAll("-", "/");
    const prefix = account === accounts[0] ? `AWSLogs/${ORG}/${account}` : `AWSLogs/${account}`;
    const dir = path.join(options.outDir, prefix, "CloudTrail", region, date);
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    let suffix = "";
    for (let i = 0; i < 16; i++)
      suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[rng.u32() % 62];
    const text = buffer.subarray(0, used);
    const gz = zlib.gzipSync(text, { level: 6 });
    writeFileSync(
      path.join(dir, `${account}_CloudTrail_${region}_${stamp(delivered)}_${suffix}.json.gz`),
      gz,
    );
    files++;
    events += count;
    jsonBytes += text.length;
    compressedBytes += gz.length;
  };

  const target = Math.max(1, Math.floor(options.events));
  const smallFiles = Math.max(1, Math.round(target * 0.0447));
  const hourAt = () => START + (rng.u32() % (DAYS * 24)) * 3_600_000;
  // Quiet accounts and regions: a few events per file.
  for (let i = 0; i < smallFiles && events < target; i++) {
    const n = Math.min(1 + (rng.u32() % 5), target - events);
    writeOne(
      accounts[rng.u32() % accounts.length]!,
      REGIONS[rng.u32() % REGIONS.length]!,
      hourAt(),
      n,
    );
  }
  // Busy account hours carry the rest.
  while (events < target) {
    const n = Math.min(1000 + (rng.u32() % 19001), target - events);
    writeOne(
      accounts[rng.u32() % 3]!,
      rng.u32() % 3 === 0 ? "us-west-2" : "us-east-1",
      hourAt(),
      n,
    );
  }
  return { files, events, compressedBytes, jsonBytes };
}
