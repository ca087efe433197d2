/**
 * The entry point writing the sample case: evidence as a responder receives it (S3 export
 * layout with digests and an Insight file, a second overlapping export, the awkward files and
 * bundles), the IAM exports and SCPs, and `expected.json` computed from what was written.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { Activity, type Emitted } from "./activity.js";
import { awkwardFiles, gzip, overlapAndBundles, recordsJson, type OutFile } from "./awkward.js";
import {
  computeExpectations,
  sha256,
  type ExpectedFile,
  type SampleExpectations,
} from "./expected.js";
import {
  authorizationDetails,
  getRole,
  organization,
  regionLockScp,
  stsRegionLockStatement,
} from "./iam.js";
import { Random } from "./random.js";
import { isoTime, type JsonObject } from "./records.js";
import {
  ACCOUNTS,
  DETECTION_START,
  DEV,
  HOUR,
  MANAGEMENT,
  MINUTE,
  ORG_ID,
  PROD,
  buildWorld,
} from "./world.js";

export interface SampleOptions {
  outDir: string;
  seed?: number;
}

export interface SampleResult {
  /** Files written (evidence, IAM, policies and expected.json). */
  files: number;
  /** Distinct events (eventIDs) a loader should end up with. */
  events: number;
  expected: SampleExpectations;
}

const TRAIL_BUCKET = "org-cloudtrail-111122223333";

/** `20261005T1403Z`, the delivery stamp in log file names. */
export function fileStamp(ms: number): string {
  return isoTime(ms).replace(/[-:]/g, "").slice(0, 13) + "Z";
}

export function datePath(ms: number): string {
  return isoTime(ms).slice(0, 10).replaceAll("-", "/");
}

/** `AWSLogs/[o-.../]<account>/` */
export function accountPrefix(account: string): string {
  const a = ACCOUNTS.find((x) => x.id === account);
  return a?.orgLayout ? `AWSLogs/${ORG_ID}/${account}/` : `AWSLogs/${account}/`;
}

interface LogFile {
  /** From `AWSLogs/`. */
  key: string;
  account: string;
  region: string;
  delivered: number;
  records: JsonObject[];
  json: string;
  data: Buffer;
}

/** Records of this many hours go into one delivered file (fewer, fuller files on disk). */
const DELIVERY_HOURS = 3;

/**
 * Groups records into deliveries per account and region. Some records arrive in the
 * next hour's file, and records inside a file are not in time order, as CloudTrail delivers.
 */
function deliver(rng: Random, emitted: readonly Emitted[]): LogFile[] {
  const groups = new Map<
    string,
    { account: string; region: string; hour: number; items: Emitted[] }
  >();
  for (const e of emitted) {
    const late = rng.chance(0.12) ? 1 : 0;
    const hour =
      Math.floor(e.time / (DELIVERY_HOURS * HOUR)) * DELIVERY_HOURS + late * DELIVERY_HOURS;
    const k = `${e.account}|${e.region}|${hour}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { account: e.account, region: e.region, hour, items: [] }));
    g.items.push(e);
  }
  const files: LogFile[] = [];
  const keys = [...groups.keys()].sort();
  for (const k of keys) {
    const g = groups.get(k)!;
    g.items.sort((a, b) => a.time - b.time);
    const records = g.items.map((e) => e.record);
    for (let i = 0; i + 1 < records.length; i++) {
      if (rng.chance(0.3)) [records[i], records[i + 1]] = [records[i + 1]!, records[i]!];
    }
    const delivered =
      (g.hour + DELIVERY_HOURS) * HOUR + rng.int(1, 14) * MINUTE + rng.int(0, 59) * 1000;
    const name = `${g.account}_CloudTrail_${g.region}_${fileStamp(delivered)}_${rng.alnum(16)}.json.gz`;
    const key = `${accountPrefix(g.account)}CloudTrail/${g.region}/${datePath(delivered)}/${name}`;
    const json = recordsJson(records);
    files.push({
      key,
      account: g.account,
      region: g.region,
      delivered,
      records,
      json,
      data: gzip(json),
    });
  }
  return files;
}

function hasStory(f: LogFile, storyIds: Set<string>): boolean {
  return f.records.some((r) => storyIds.has(r.eventID as string));
}

interface Digest {
  key: string;
  data: Buffer;
  logFiles: number;
}

/** Hourly digest files of one account and region over a day, chained to one another. */
function digests(
  rng: Random,
  files: readonly LogFile[],
  account: string,
  region: string,
  from: number,
  hours: number,
): Digest[] {
  const out: Digest[] = [];
  let previous: { key: string; hash: string; signature: string } | null = null;
  const fingerprint = rng.hex(32);
  for (let h = 0; h < hours; h++) {
    const start = from + h * HOUR + 31_000;
    const end = start + HOUR;
    const listed = files.filter(
      (f) =>
        f.account === account && f.region === region && f.delivered >= start && f.delivered < end,
    );
    const times = listed.flatMap((f) => f.records.map((r) => r.eventTime as string)).sort();
    const key = `${accountPrefix(account)}CloudTrail-Digest/${region}/${datePath(end)}/${account}_CloudTrail-Digest_${region}_org-trail_${region}_${isoTime(end).replace(/[-:]/g, "")}.json.gz`;
    const doc: JsonObject = {
      awsAccountId: account,
      digestStartTime: isoTime(start),
      digestEndTime: isoTime(end),
      digestS3Bucket: TRAIL_BUCKET,
      digestS3Object: key,
      digestPublicKeyFingerprint: fingerprint,
      digestSignatureAlgorithm: "SHA256withRSA",
    };
    if (times.length > 0) {
      doc.newestEventTime = times[times.length - 1]!;
      doc.oldestEventTime = times[0]!;
    }
    doc.previousDigestS3Bucket = previous ? TRAIL_BUCKET : null;
    doc.previousDigestS3Object = previous ? previous.key : null;
    doc.previousDigestHashValue = previous ? previous.hash : null;
    doc.previousDigestHashAlgorithm = previous ? "SHA-256" : null;
    doc.previousDigestSignature = previous ? previous.signature : null;
    doc.logFiles = listed.map((f) => {
      const ts = f.records.map((r) => r.eventTime as string).sort();
      return {
        s3Bucket: TRAIL_BUCKET,
        s3Object: f.key,
        // As `aws cloudtrail validate-logs` checks: SHA-256 of the decompressed content.
        hashValue: sha256(f.json),
        hashAlgorithm: "SHA-256",
        newestEventTime: ts[ts.length - 1]!,
        oldestEventTime: ts[0]!,
      };
    });
    const json = JSON.stringify(doc);
    out.push({ key, data: gzip(json), logFiles: listed.length });
    previous = { key, hash: sha256(json), signature: rng.hex(512) };
  }
  return out;
}

/** The CloudTrail Insight pair (Start, End) for the AssumeRole burst in dev. */
function insightFile(
  rng: Random,
  burstIds: readonly string[],
  byId: Map<string, JsonObject>,
): { key: string; data: Buffer; records: JsonObject[] } {
  const times = burstIds
    .map((id) => Date.parse(byId.get(id)!.eventTime as string))
    .sort((a, b) => a - b);
  const startT = Math.floor(times[0]! / MINUTE) * MINUTE;
  const endT = Math.ceil(times[times.length - 1]! / MINUTE) * MINUTE + MINUTE;
  const shared = rng.uuid();
  const bot = byId.get(burstIds[0]!)!.userIdentity as JsonObject;
  const ua = byId.get(burstIds[0]!)!.userAgent as string;
  const minutes = (endT - startT) / MINUTE;
  const context = (state: "Start" | "End"): JsonObject => ({
    statistics: {
      baseline: { average: 0.0023 },
      insight: { average: Math.round((burstIds.length / minutes) * 100) / 100 },
      ...(state === "End" ? { insightDuration: minutes, baselineDuration: 10080 } : {}),
    },
    attributions: [
      {
        attribute: "userIdentityArn",
        insight: [
          {
            value: bot.arn as string,
            average: Math.round((burstIds.length / minutes) * 100) / 100,
          },
        ],
        baseline: [{ value: bot.arn as string, average: 0.0023 }],
      },
      {
        attribute: "userAgent",
        insight: [{ value: ua, average: 4 }],
        baseline: [{ value: ua, average: 0.0023 }],
      },
      {
        attribute: "errorCode",
        insight: [{ value: "null", average: 4 }],
        baseline: [{ value: "null", average: 0.0023 }],
      },
    ],
  });
  const event = (state: "Start" | "End", t: number): JsonObject => ({
    eventVersion: "1.08",
    eventTime: isoTime(t),
    awsRegion: "us-west-2",
    eventID: rng.uuid(),
    eventType: "AwsCloudTrailInsight",
    recipientAccountId: DEV,
    sharedEventID: shared,
    insightDetails: {
      state,
      eventSource: "sts.amazonaws.com",
      eventName: "AssumeRole",
      insightType: "ApiCallRateInsight",
      insightContext: context(state),
    },
    eventCategory: "Insight",
  });
  const records = [event("Start", startT), event("End", endT)];
  const delivered = endT + 11 * MINUTE;
  const key = `AWSLogs/${DEV}/CloudTrail-Insight/us-west-2/${datePath(delivered)}/${DEV}_CloudTrail-Insight_us-west-2_${fileStamp(delivered)}_${rng.alnum(16)}.json.gz`;
  return { key, data: gzip(recordsJson(records)), records };
}

export async function writeSampleData(options: SampleOptions): Promise<SampleResult> {
  const seed = options.seed ?? 1;
  const root = new Random(seed);
  const world = buildWorld(root);
  const activity = new Activity(root.fork("activity"), world);
  activity.generate();
  const rng = root.fork("layout");

  // IAM exports first: the awkward files include a misplaced copy of one.
  const lastUsed: Record<string, number> = {};
  for (const c of activity.assumeCalls) {
    if (!c.succeeded) continue;
    const t = activity.emitted.find((e) => e.record.eventID === c.eventIds[0])?.time ?? 0;
    lastUsed[c.roleKey] = Math.max(lastUsed[c.roleKey] ?? 0, t);
  }
  const iamRng = root.fork("iam");
  const details = ACCOUNTS.map((a) =>
    authorizationDetails(iamRng, world, a.id, a.id === DEV, lastUsed),
  );

  const awkwardRng = root.fork("awkward");
  // Fresh events for the awkward files are drawn before the trail is laid out.
  const awkward = awkwardFiles({
    rng: awkwardRng,
    activity,
    authorizationDetails: details[2]!.document,
  });
  const logFiles = deliver(rng, activity.emitted);
  // Whole baseline files of dev and prod travel only in the bundles. They carry no planted
  // story, so every story stays in the main tree.
  const storyIds = new Set(
    [...activity.anomalies, ...activity.lookAlikes].flatMap((s) => s.eventIds),
  );
  const baseline = (f: LogFile) =>
    f.delivered < DETECTION_START - 2 * HOUR && !hasStory(f, storyIds) && f.records.length >= 2;
  const zipPick = logFiles
    .filter((f) => f.account === DEV && f.region === "us-west-2" && baseline(f))
    .filter((_, i) => i % 37 === 5)
    .slice(0, 3);
  const tarPick = logFiles
    .filter((f) => f.account === PROD && f.region === "us-east-1" && baseline(f))
    .filter((_, i) => i % 53 === 7)
    .slice(0, 4);
  const bundled = new Set([...zipPick, ...tarPick]);
  const s3Files = logFiles.filter((f) => !bundled.has(f));
  const managementRecords = s3Files
    .filter((f) => f.account === MANAGEMENT && f.delivered < DETECTION_START)
    .flatMap((f) => f.records)
    .filter((r) => r.managementEvent === true && (r.userIdentity as JsonObject).type === "IAMUser");
  const asMember = (f: LogFile) => ({ name: f.key, data: f.data, records: f.records });
  awkward.push(
    ...overlapAndBundles({
      rng: awkwardRng,
      managementRecords,
      zipFiles: zipPick.map(asMember),
      tarFiles: tarPick.map(asMember),
    }),
  );

  const out: OutFile[] = [];
  for (const f of s3Files) {
    out.push({
      path: `evidence/${f.key}`,
      data: f.data,
      kind: "cloudtrail-log",
      status: "loaded",
      reason: null,
      records: f.records,
      setAside: 0,
    });
  }
  // Digests: the management account's two main regions over the last day.
  let digestLogFiles = 0;
  for (const region of ["us-east-1", "us-west-2"]) {
    for (const d of digests(rng, s3Files, MANAGEMENT, region, Date.UTC(2026, 9, 27), 24)) {
      digestLogFiles += d.logFiles;
      out.push({
        path: `evidence/${d.key}`,
        data: d.data,
        kind: "cloudtrail-digest",
        status: "skipped",
        reason: "digest",
        records: [],
        setAside: 0,
      });
    }
  }
  const byId = new Map(activity.emitted.map((e) => [e.record.eventID as string, e.record]));
  const burst = activity.anomalies.find((a) => a.kind === "assume-role-burst")!;
  const insight = insightFile(rng, burst.eventIds, byId);
  out.push({
    path: `evidence/${insight.key}`,
    data: insight.data,
    kind: "cloudtrail-insight",
    status: "loaded",
    reason: null,
    records: insight.records,
    setAside: 0,
  });

  // The second export: byte-identical copies of some files, and a re-export that repackages
  // the events of three files into one new file.
  const copies = s3Files.filter((_, i) => i % 41 === 3).slice(0, 25);
  for (const f of copies) {
    out.push({
      path: `evidence/second-export/${f.key}`,
      data: f.data,
      kind: "cloudtrail-log",
      status: "loaded",
      reason: null,
      records: f.records,
      setAside: 0,
    });
  }
  const regroup = s3Files
    .filter((f) => f.account === PROD && f.region === "us-east-1" && !copies.includes(f))
    .slice(100, 103);
  const merged = rng.shuffle(regroup.flatMap((f) => f.records));
  const last = regroup[regroup.length - 1]!;
  const reKey = `${accountPrefix(PROD)}CloudTrail/us-east-1/${datePath(last.delivered)}/${PROD}_CloudTrail_us-east-1_${fileStamp(last.delivered + 3 * MINUTE)}_${rng.alnum(16)}.json.gz`;
  out.push({
    path: `evidence/second-export/${reKey}`,
    data: gzip(recordsJson(merged)),
    kind: "cloudtrail-log",
    status: "loaded",
    reason: null,
    records: merged,
    setAside: 0,
  });
  out.push(...awkward);

  // IAM and policies.
  const side: { path: string; data: Buffer }[] = [];
  for (const d of details) {
    side.push({
      path: `iam/${d.account}-authorization-details.json`,
      data: Buffer.from(JSON.stringify(d.document, null, 4) + "\n"),
    });
  }
  side.push({
    path: "iam/organization.json",
    data: Buffer.from(JSON.stringify(organization(), null, 4) + "\n"),
  });
  side.push({
    path: "iam/get-role-VendorMonitoring.json",
    data: Buffer.from(JSON.stringify(getRole(details[1]!, "VendorMonitoring"), null, 4) + "\n"),
  });
  side.push({
    path: "policies/region-lock-scp.json",
    data: Buffer.from(JSON.stringify(regionLockScp(), null, 4) + "\n"),
  });
  side.push({
    path: "policies/sts-region-lock-statement.json",
    data: Buffer.from(JSON.stringify(stsRegionLockStatement(), null, 4) + "\n"),
  });
  // Known-benign patterns for `trailbook baseline --suppress` (the baseline's rule format).
  side.push({
    path: "suppressions.json",
    data: Buffer.from(JSON.stringify(baselineSuppressions(), null, 4) + "\n"),
  });

  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const recordsOf = new Map<string, JsonObject[]>();
  const toExpected = (f: OutFile): ExpectedFile => {
    recordsOf.set(f.path, f.records);
    const e: ExpectedFile = {
      path: f.path,
      kind: f.kind,
      status: f.status,
      reason: f.reason,
      records: f.records.length,
      setAside: f.setAside,
      sha256: sha256(f.data),
    };
    if (f.members) e.members = f.members.map(toExpected);
    return e;
  };
  const expectedFiles = out.map(toExpected);
  const expected = computeExpectations({
    seed,
    files: expectedFiles,
    otherFiles: side.map((s) => s.path),
    recordsOf,
    assumeCalls: activity.assumeCalls,
    anomalies: activity.anomalies,
    lookAlikes: activity.lookAlikes,
    roleArns: Object.values(world.roles).map((r) => r.arn),
    digestLogFiles,
  });

  const writes = [...out.map((f) => ({ path: f.path, data: f.data })), ...side];
  writes.push({
    path: "expected.json",
    data: Buffer.from(JSON.stringify(expected, null, 2) + "\n"),
  });
  // The folders the sample owns are written whole: files of an earlier generation (whose names
  // differ when the layout changed) would otherwise stay and be loaded beside the new ones.
  for (const owned of ["evidence", "iam", "policies"]) {
    await rm(path.join(options.outDir, owned), { recursive: true, force: true });
  }
  const dirs = new Set(writes.map((w) => path.dirname(path.join(options.outDir, w.path))));
  for (const dir of [...dirs].sort()) await mkdir(dir, { recursive: true });
  for (const w of writes) await writeFile(path.join(options.outDir, w.path), w.data);
  return { files: writes.length, events: expected.counts.distinctEventIds, expected };
}

/** The sample's suppression file: ci-runner's CLI updates (the client-upgrade look-alike). */
function baselineSuppressions(): JsonObject {
  return {
    rules: [
      {
        id: "ci-cli-updates",
        actor: "arn:aws:iam::*:role/ci-*",
        field: "user_agent_version",
        value: "aws-cli/*",
        reason: "CI build images update the AWS CLI",
      },
    ],
  };
}
