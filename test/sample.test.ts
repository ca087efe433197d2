import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  writeBenchArchive,
  writeSampleData,
  type ExpectedFile,
  type SampleExpectations,
} from "../src/sample/index.js";

type Rec = Record<string, any>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TIME = /^2026-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const KEY_ORDER = [
  "eventVersion",
  "userIdentity",
  "eventTime",
  "eventSource",
  "eventName",
  "awsRegion",
  "sourceIPAddress",
  "userAgent",
  "errorCode",
  "errorMessage",
  "requestParameters",
  "responseElements",
  "additionalEventData",
  "requestID",
  "eventID",
  "readOnly",
  "resources",
  "eventType",
  "managementEvent",
  "recipientAccountId",
  "sharedEventID",
  "eventCategory",
  "tlsDetails",
  "sessionCredentialFromConsole",
];

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else out.push(full);
  }
  return out.sort();
}

async function treeHash(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const file of await walk(dir)) {
    hash.update(path.relative(dir, file));
    hash.update(await readFile(file));
  }
  return hash.digest("hex");
}

/** Reads a zip's members through its central directory (independent of the writer). */
function unzipMembers(buf: Buffer): Map<string, Buffer> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(p)).toBe(0x02014b50);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString("utf8");
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + csize);
    const data = method === 8 ? zlib.inflateRawSync(raw) : Buffer.from(raw);
    expect(zlib.crc32(data)).toBe(crc);
    out.set(name, data);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function untarMembers(gz: Buffer): Map<string, Buffer> {
  const buf = zlib.gunzipSync(gz);
  const out = new Map<string, Buffer>();
  let p = 0;
  while (p + 512 <= buf.length && buf[p] !== 0) {
    const h = buf.subarray(p, p + 512);
    const field = (a: number, b: number) => h.subarray(a, b).toString("utf8").replace(/\0.*$/s, "");
    expect(field(257, 262)).toBe("ustar");
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    expect(parseInt(field(148, 156).trim(), 8)).toBe(sum);
    const size = parseInt(field(124, 136), 8);
    const prefix = field(345, 500);
    const name = (prefix ? prefix + "/" : "") + field(0, 100);
    if (field(156, 157) === "0") out.set(name, buf.subarray(p + 512, p + 512 + size));
    p += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** The records a file of a kind holds, parsed the way its shape requires. */
function parseRecords(kind: ExpectedFile["kind"], data: Buffer, name: string): Rec[] {
  const text = (name.endsWith(".gz") ? zlib.gunzipSync(data) : data).toString("utf8");
  switch (kind) {
    case "cloudtrail-log":
    case "cloudtrail-insight":
      return JSON.parse(text).Records;
    case "ndjson":
      return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l));
    case "json-array":
      return JSON.parse(text);
    case "lookup-events":
      return JSON.parse(text).Events.map((e: Rec) => JSON.parse(e.CloudTrailEvent));
    case "cloudwatch-logs-subscription":
      return JSON.parse(text).logEvents.map((e: Rec) => JSON.parse(e.message));
    case "eventbridge":
      return [JSON.parse(text).detail];
    default:
      return [];
  }
}

describe("writeSampleData", () => {
  let dirA: string;
  let dirB: string;
  let expected: SampleExpectations;
  /** Every loadable record on disk, by file path (bundle members as `<bundle>!<member>`). */
  const recordsByPath = new Map<string, Rec[]>();
  const allLoaded: Rec[] = [];

  beforeAll(async () => {
    dirA = await mkdtemp(path.join(os.tmpdir(), "trailbook-sample-a-"));
    dirB = await mkdtemp(path.join(os.tmpdir(), "trailbook-sample-b-"));
    await writeSampleData({ outDir: dirA, seed: 7 });
    await writeSampleData({ outDir: dirB, seed: 7 });
    expected = JSON.parse(await readFile(path.join(dirA, "expected.json"), "utf8"));
    const visit = async (f: ExpectedFile, data: Buffer) => {
      if (f.status !== "loaded") return;
      if (f.kind === "zip" || f.kind === "tar-gz") {
        const members = f.kind === "zip" ? unzipMembers(data) : untarMembers(data);
        expect([...members.keys()].sort()).toEqual(
          f.members!.map((m) => m.path.split("!")[1]).sort(),
        );
        for (const m of f.members!) await visit(m, members.get(m.path.split("!")[1]!)!);
        return;
      }
      const records = parseRecords(f.kind, data, f.path);
      recordsByPath.set(f.path, records);
      if (f.kind !== "cloudtrail-insight") allLoaded.push(...records);
    };
    for (const f of expected.files) await visit(f, await readFile(path.join(dirA, f.path)));
  });

  afterAll(async () => {
    await rm(dirA, { recursive: true, force: true });
    await rm(dirB, { recursive: true, force: true });
  });

  it("should write byte-identical trees for the same seed", async () => {
    expect(await treeHash(dirA)).toBe(await treeHash(dirB));
  });

  it("should give different data for another seed", async () => {
    const dirC = await mkdtemp(path.join(os.tmpdir(), "trailbook-sample-c-"));
    try {
      const r = await writeSampleData({ outDir: dirC, seed: 8 });
      expect(r.expected.counts.distinctEventIds).toBeGreaterThan(3000);
      expect(await treeHash(dirC)).not.toBe(await treeHash(dirA));
    } finally {
      await rm(dirC, { recursive: true, force: true });
    }
  });

  it("should list every evidence file in expected.json, with its hash", async () => {
    const onDisk = (await walk(path.join(dirA, "evidence"))).map((f) =>
      path.relative(dirA, f).split(path.sep).join("/"),
    );
    expect(expected.files.map((f) => f.path).sort()).toEqual(onDisk.sort());
    for (const f of expected.files) {
      const data = await readFile(path.join(dirA, f.path));
      expect(createHash("sha256").update(data).digest("hex")).toBe(f.sha256);
    }
    for (const other of expected.otherFiles) expect(existsSync(path.join(dirA, other))).toBe(true);
  });

  it("should hold as many records per file as expected.json says", () => {
    const check = (f: ExpectedFile) => {
      if (f.members) f.members.forEach(check);
      if (f.status === "loaded" && !f.members) {
        expect(recordsByPath.get(f.path)?.length, f.path).toBe(f.records);
      }
    };
    expected.files.forEach(check);
  });

  it("should count distinct events, duplicates and set-aside records as expected.json says", () => {
    const good = allLoaded.filter((r) => r.eventTime !== undefined && r.eventSource !== undefined);
    const ids = new Set(good.map((r) => r.eventID));
    expect(good.length).toBe(expected.counts.loadedRecords);
    expect(ids.size).toBe(expected.counts.distinctEventIds);
    expect(good.length - ids.size).toBe(expected.counts.duplicateRecords);
    expect(expected.counts.duplicateRecords).toBeGreaterThan(25);
    expect(allLoaded.length - good.length).toBe(expected.counts.setAsideRecords);
    expect(expected.counts.setAsideRecords).toBe(1);
    expect(expected.counts.identicalFileCopies).toBeGreaterThanOrEqual(20);
    expect(expected.counts.insightEvents).toBe(2);
    // Ordinary activity, the one busy file aside: within the 3,000-6,000 events asked for.
    const busy = [...recordsByPath.values()].find((r) => r.length >= 5000)!;
    const ordinary = ids.size - new Set(busy.map((r) => r.eventID)).size;
    expect(ordinary).toBeGreaterThan(3000);
    expect(ordinary).toBeLessThan(6000);
  });

  it("should lay out the S3 export with an organization-trail account and hourly-named files", () => {
    const logs = expected.files.filter(
      (f) => f.path.startsWith("evidence/AWSLogs/") && f.kind === "cloudtrail-log",
    );
    const name =
      /^evidence\/AWSLogs\/(o-[a-z0-9]{10}\/)?(\d{12})\/CloudTrail\/([a-z]{2}-[a-z]+-\d)\/(\d{4})\/(\d\d)\/(\d\d)\/\2_CloudTrail_\3_\4\5\6T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$/;
    for (const f of logs) expect(f.path).toMatch(name);
    expect(
      logs.some((f) =>
        f.path.startsWith(`evidence/AWSLogs/${expected.organizationId}/444455556666/`),
      ),
    ).toBe(true);
    // Folder date is the delivery date: some files hold events of an earlier day.
    const earlier = logs.filter((f) => {
      const folder = f.path.split("/").slice(-4, -1).join("-");
      return recordsByPath.get(f.path)!.some((r) => r.eventTime.slice(0, 10) < folder);
    });
    expect(earlier.length).toBeGreaterThan(10);
    const regions = new Set(logs.map((f) => f.path.match(name)![3]));
    expect(regions.size).toBeGreaterThanOrEqual(5);
  });

  it("should write records shaped and ordered as CloudTrail writes them", async () => {
    const sample = expected.files.find(
      (f) => f.path.includes("/CloudTrail/us-east-1/") && f.records > 5,
    )!;
    const text = zlib.gunzipSync(await readFile(path.join(dirA, sample.path))).toString();
    expect(text.startsWith('{"Records":[{"eventVersion":"1.')).toBe(true);
    expect(text).not.toMatch(/\n|": |, "/);
    let bytes = 0;
    const logRecords = [...recordsByPath.entries()]
      .filter(([p]) => p.includes("/CloudTrail/"))
      .flatMap(([, r]) => r);
    for (const r of logRecords) {
      bytes += JSON.stringify(r).length;
      const keys = Object.keys(r);
      const order = keys.map((k) => KEY_ORDER.indexOf(k));
      expect(
        order.every((o) => o >= 0),
        keys.join(),
      ).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(r.eventID).toMatch(UUID);
      expect(r.eventTime).toMatch(TIME);
      expect(["1.08", "1.09", "1.10", "1.11"]).toContain(r.eventVersion);
      const id = r.userIdentity;
      if (id.accessKeyId) expect(id.accessKeyId).toMatch(/^(AKIA|ASIA)[A-Z2-7]{16}$/);
      if (id.type === "IAMUser") expect(id.principalId).toMatch(/^AIDA[A-Z0-9]{17}$/);
      if (id.type === "AssumedRole") {
        expect(id.principalId).toMatch(/^AROA[A-Z0-9]{17}:/);
        expect(id.sessionContext.sessionIssuer.type).toBe("Role");
        expect(["true", "false"]).toContain(id.sessionContext.attributes.mfaAuthenticated);
      }
      if (r.eventSource === "sts.amazonaws.com") {
        const d = r.additionalEventData.RequestDetails;
        expect(["global", "regional"]).toContain(d.endpointType);
        const host =
          d.endpointType === "global"
            ? "sts.amazonaws.com"
            : `sts.${d.awsServingRegion}.amazonaws.com`;
        expect(r.tlsDetails.clientProvidedHostHeader).toBe(host);
        if (d.endpointType === "global") expect(r.awsRegion).toBe("us-east-1");
        else expect(r.awsRegion).toBe(d.awsServingRegion);
      }
    }
    const avg = bytes / logRecords.length;
    expect(avg).toBeGreaterThan(1200);
    expect(avg).toBeLessThan(2000);
    const types = new Set(logRecords.map((r) => r.userIdentity.type));
    for (const t of [
      "IAMUser",
      "AssumedRole",
      "AWSService",
      "AWSAccount",
      "Root",
      "SAMLUser",
      "WebIdentityUser",
    ]) {
      expect(types, t).toContain(t);
    }
    const names = new Set(
      logRecords.filter((r) => r.eventSource === "sts.amazonaws.com").map((r) => r.eventName),
    );
    for (const n of [
      "AssumeRole",
      "GetCallerIdentity",
      "GetSessionToken",
      "AssumeRoleWithSAML",
      "AssumeRoleWithWebIdentity",
    ]) {
      expect(names, n).toContain(n);
    }
  });

  it("should find the outside-region STS calls listed in expected.json, and only those", () => {
    const byId = new Map(allLoaded.map((r) => [r.eventID, r]));
    const outside = [...byId.values()].filter((r) => {
      if (r.eventSource !== "sts.amazonaws.com") return false;
      const d = r.additionalEventData.RequestDetails;
      const requested = d.endpointType === "global" ? "us-east-1" : d.awsServingRegion;
      return !["us-east-1", "us-west-2"].includes(requested);
    });
    const people = outside.filter((r) => r.userIdentity.type !== "AWSService");
    const listed = expected.sts.outsideAllowedRegions;
    expect(people.map((r) => r.eventID).sort()).toEqual(listed.map((c) => c.eventId).sort());
    expect(listed.length).toBeGreaterThanOrEqual(6);
    expect(listed.length).toBeLessThanOrEqual(15);
    expect(listed.some((c) => c.errorCode === "AccessDenied")).toBe(true);
    for (const n of ["AssumeRole", "GetSessionToken", "GetCallerIdentity"]) {
      expect(
        listed.some((c) => c.eventName === n && c.errorCode === null),
        n,
      ).toBe(true);
    }
    const denied = listed
      .filter((c) => c.errorCode === "AccessDenied")
      .map((c) => byId.get(c.eventId)!);
    expect(
      denied.some((r) =>
        r.errorMessage.endsWith("with an explicit deny in a service control policy"),
      ),
    ).toBe(true);
    expect(expected.sts.serviceOutsideAllowedRegions.count).toBe(outside.length - people.length);
    // Served in eu-west-1 through the global endpoint: logged in us-east-1, not outside.
    expect(expected.sts.globalServedElsewhere.length).toBeGreaterThan(0);
    for (const g of expected.sts.globalServedElsewhere) {
      const r = byId.get(g.eventId)!;
      expect(r.awsRegion).toBe("us-east-1");
      expect(r.additionalEventData.RequestDetails.awsServingRegion).toBe("eu-west-1");
      expect(listed.some((c) => c.eventId === g.eventId)).toBe(false);
    }
  });

  it("should write both copies of a cross-account AssumeRole with a shared id", () => {
    const byShared = new Map<string, Rec[]>();
    for (const r of new Map(allLoaded.map((x) => [x.eventID, x])).values()) {
      if (r.eventName !== "AssumeRole" || !r.sharedEventID) continue;
      byShared.set(r.sharedEventID, [...(byShared.get(r.sharedEventID) ?? []), r]);
    }
    const pairs = [...byShared.values()].filter((v) => v.length === 2);
    expect(pairs.length).toBe(expected.counts.crossAccountPairs);
    expect(pairs.length).toBeGreaterThan(20);
    for (const [a, b] of pairs) {
      expect(a!.eventID).not.toBe(b!.eventID);
      expect(a!.requestID).toBe(b!.requestID);
      const types = [a!.userIdentity.type, b!.userIdentity.type].sort();
      expect(types[0]).toBe("AWSAccount");
      const owner = [a!, b!].find((r) => r.userIdentity.type === "AWSAccount")!;
      expect(owner.recipientAccountId).toBe(owner.requestParameters.roleArn.split(":")[4]);
      expect(owner.userIdentity.arn).toBeUndefined();
    }
  });

  it("should plant the anomalies in the detection window, on ordinary habits elsewhere", () => {
    const { start, end } = expected.window.detection;
    const kinds = expected.anomalies.map((a) => a.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "new-region-new-address-new-client",
        "assume-role-burst",
        "unusual-hour",
      ]),
    );
    const byId = new Map(allLoaded.map((r) => [r.eventID, r]));
    for (const a of expected.anomalies) {
      expect(a.window.start >= start && a.window.end < end, a.kind).toBe(true);
      for (const id of a.eventIds) expect(byId.has(id), `${a.kind} ${id}`).toBe(true);
    }
    const burst = expected.anomalies.find((a) => a.kind === "assume-role-burst")!;
    expect(burst.eventIds.length).toBe(80);
    const minutes = (Date.parse(burst.window.end) - Date.parse(burst.window.start)) / 60000;
    expect(minutes).toBeLessThanOrEqual(21);

    // Outside the planted events (anomalies and look-alikes, which are new in some respect by
    // design), detection-window activity only uses regions, /24s and clients its principal
    // used in the baseline.
    const planted = new Set(
      [...expected.anomalies, ...expected.lookAlikes].flatMap((a) => a.eventIds),
    );
    const key = (r: Rec) => {
      const id = r.userIdentity;
      return (
        id.sessionContext?.sessionIssuer?.arn ??
        id.arn ??
        `${id.type}:${id.invokedBy ?? id.principalId}`
      );
    };
    const net = (ip: string) =>
      /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? ip.split(".").slice(0, 3).join(".") : ip;
    const seen = new Set<string>();
    const baseline = [...byId.values()].filter((r) => r.eventTime < start);
    for (const r of baseline) {
      const k = key(r);
      seen.add(`${k}|region|${r.awsRegion}`);
      seen.add(`${k}|net|${net(r.sourceIPAddress)}`);
      seen.add(`${k}|ua|${r.userAgent}`);
    }
    const detection = [...byId.values()].filter(
      (r) => r.eventTime >= start && !planted.has(r.eventID),
    );
    expect(detection.length).toBeGreaterThan(100);
    for (const r of detection) {
      const k = key(r);
      expect(seen.has(`${k}|region|${r.awsRegion}`), `${k} ${r.awsRegion}`).toBe(true);
      expect(seen.has(`${k}|net|${net(r.sourceIPAddress)}`), `${k} ${r.sourceIPAddress}`).toBe(
        true,
      );
      expect(seen.has(`${k}|ua|${r.userAgent}`), `${k} ${r.userAgent}`).toBe(true);
    }
    const subnet = expected.lookAlikes.find((l) => l.kind === "new-address-in-known-subnet")!;
    expect(subnet.eventIds.length).toBeGreaterThan(0);
  });

  it("should quarantine the broken files because they really are broken", async () => {
    const broken = expected.files.filter((f) => f.status === "quarantined");
    expect(broken.map((f) => f.reason).sort()).toEqual([
      "empty",
      "malformed-json",
      "not-gzip",
      "truncated-gzip",
    ]);
    for (const f of broken) {
      const data = await readFile(path.join(dirA, f.path));
      if (f.reason === "empty") expect(data.length).toBe(0);
      if (f.reason === "truncated-gzip") {
        expect(data[0]).toBe(0x1f);
        expect(() => zlib.gunzipSync(data)).toThrow();
      }
      if (f.reason === "not-gzip") {
        expect(f.path.endsWith(".json.gz")).toBe(true);
        expect(() => zlib.gunzipSync(data)).toThrow();
      }
      if (f.reason === "malformed-json") expect(() => JSON.parse(data.toString())).toThrow();
    }
  });

  it("should write one log file over 16 MiB decompressed that stays small compressed", async () => {
    const sizes = await Promise.all(
      expected.files
        .filter(
          (f) => f.kind === "cloudtrail-log" && f.status === "loaded" && f.path.endsWith(".gz"),
        )
        .map(async (f) => {
          const data = await readFile(path.join(dirA, f.path));
          return { f, gz: data.length, json: zlib.gunzipSync(data).length };
        }),
    );
    const big = sizes.filter((s) => s.json > 16 * 1024 * 1024);
    expect(big.length).toBe(1);
    expect(big[0]!.gz).toBeLessThan(2.5 * 1024 * 1024);
    const huge = allLoaded.find((r) => JSON.stringify(r.requestParameters ?? null).length > 95_000);
    expect(huge).toBeDefined();
  });

  it("should hash the listed log files in the digests, and chain the digests", async () => {
    const digests = expected.files.filter((f) => f.kind === "cloudtrail-digest");
    expect(digests.length).toBe(expected.counts.digestFiles);
    let listed = 0;
    const docs = new Map<string, { doc: Rec; json: Buffer }>();
    for (const f of digests) {
      const json = zlib.gunzipSync(await readFile(path.join(dirA, f.path)));
      const doc = JSON.parse(json.toString());
      docs.set(doc.digestS3Object, { doc, json });
      expect(f.path).toBe(`evidence/${doc.digestS3Object}`);
      expect(doc.Records).toBeUndefined();
      for (const log of doc.logFiles) {
        listed++;
        const content = zlib.gunzipSync(await readFile(path.join(dirA, "evidence", log.s3Object)));
        expect(createHash("sha256").update(content).digest("hex")).toBe(log.hashValue);
        expect(log.hashAlgorithm).toBe("SHA-256");
      }
    }
    expect(listed).toBe(expected.counts.digestLogFiles);
    expect(listed).toBeGreaterThan(0);
    for (const { doc } of docs.values()) {
      if (!doc.previousDigestS3Object) continue;
      const prev = docs.get(doc.previousDigestS3Object)!;
      expect(createHash("sha256").update(prev.json).digest("hex")).toBe(
        doc.previousDigestHashValue,
      );
    }
    const insight = recordsByPath.get(
      expected.files.find((f) => f.kind === "cloudtrail-insight")!.path,
    )!;
    expect(insight.map((r) => r.insightDetails.state)).toEqual(["Start", "End"]);
  });

  it("should add the bundles' events, which appear nowhere else", () => {
    const inBundles = new Set<string>();
    const elsewhere = new Set<string>();
    for (const [p, records] of recordsByPath) {
      for (const r of records) (p.includes("!") ? inBundles : elsewhere).add(r.eventID);
    }
    expect(inBundles.size).toBeGreaterThan(5);
    for (const id of inBundles) expect(elsewhere.has(id)).toBe(false);
  });

  it("should pass a real unzip's integrity test when unzip is installed", async (ctx) => {
    const zip = expected.files.find((f) => f.kind === "zip")!;
    try {
      execFileSync("unzip", ["-v"], { stdio: "ignore" });
    } catch {
      ctx.skip();
    }
    execFileSync("unzip", ["-tq", path.join(dirA, zip.path)]);
  });

  it("should write IAM exports covering the trust shapes, one of them URL-encoded", async () => {
    const encoded: string[] = [];
    const docs: string[] = [];
    for (const account of expected.accounts) {
      const text = await readFile(
        path.join(dirA, "iam", `${account.id}-authorization-details.json`),
        "utf8",
      );
      const details = JSON.parse(text);
      for (const role of details.RoleDetailList) {
        const doc = role.AssumeRolePolicyDocument;
        if (typeof doc === "string") {
          encoded.push(account.id);
          docs.push(decodeURIComponent(doc));
        } else docs.push(JSON.stringify(doc));
      }
    }
    expect(new Set(encoded).size).toBe(1);
    const all = docs.join("\n");
    for (const needle of [
      ":root",
      '"sts:ExternalId"',
      '"aws:PrincipalOrgID"',
      '"Principal":"*"',
      '"Service":"config.amazonaws.com"',
      '"SAML:aud"',
      "token.actions.githubusercontent.com:sub",
      '"aws:SourceIp"',
      '"aws:MultiFactorAuthPresent"',
      '"sts:RoleSessionName"',
      '"aws:PrincipalArn"',
      "IfExists",
      "ForAnyValue:StringLike",
      '"NotPrincipal"',
      '"Effect":"Deny"',
      '"AWS":"111122223333"',
    ]) {
      expect(all, needle).toContain(needle);
    }
    const stale = expected.assumeRoles
      .flatMap((r) => r.callers)
      .filter((c) => c.finding === "stale-trust-snapshot");
    expect(stale.length).toBe(1);
    expect(stale[0]!.succeeded).toBeGreaterThan(0);
    const outsideOrg = expected.assumeRoles
      .flatMap((r) => r.callers)
      .filter((c) => c.finding === "outside-organization");
    expect(new Set(outsideOrg.map((c) => c.callerAccount))).toEqual(new Set(["999988887777"]));
    expect(expected.rolesNeverAssumed.length).toBeGreaterThan(0);
    const scp = JSON.parse(
      await readFile(path.join(dirA, "policies", "region-lock-scp.json"), "utf8"),
    );
    expect(scp.Statement[0].NotAction).toContain("iam:*");
    expect(scp.Statement[0].Condition.ArnNotLike["aws:PrincipalARN"]).toBeDefined();
    const bare = JSON.parse(
      await readFile(path.join(dirA, "policies", "sts-region-lock-statement.json"), "utf8"),
    );
    expect(bare).toEqual({
      Effect: "Deny",
      Action: "sts:*",
      Resource: "*",
      Condition: { StringNotEquals: { "aws:RequestedRegion": ["us-east-1", "us-west-2"] } },
    });
  });

  it("should stay small on disk", async () => {
    let bytes = 0;
    for (const f of await walk(dirA)) bytes += (await stat(f)).size;
    expect(bytes).toBeLessThan(6 * 1024 * 1024);
  });
});

describe("writeBenchArchive", () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("should write the requested number of events as valid, unique CloudTrail records", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "trailbook-bench-"));
    const result = await writeBenchArchive({ outDir: dir, events: 20_000, seed: 3 });
    expect(result.events).toBe(20_000);
    const files = await walk(dir);
    expect(files.length).toBe(result.files);
    const ids = new Set<string>();
    let count = 0;
    let compressed = 0;
    let json = 0;
    const accounts = new Set<string>();
    const regions = new Set<string>();
    const sizes: number[] = [];
    for (const f of files) {
      const gz = await readFile(f);
      const text = zlib.gunzipSync(gz);
      compressed += gz.length;
      json += text.length;
      const records = JSON.parse(text.toString()).Records as Rec[];
      sizes.push(records.length);
      for (const r of records) {
        ids.add(r.eventID);
        accounts.add(r.recipientAccountId);
        regions.add(r.awsRegion);
        expect(r.eventID).toMatch(UUID);
      }
      count += records.length;
    }
    expect(count).toBe(20_000);
    expect(ids.size).toBe(20_000);
    expect(compressed).toBe(result.compressedBytes);
    expect(json).toBe(result.jsonBytes);
    expect(json / count).toBeGreaterThan(1200);
    expect(json / count).toBeLessThan(1900);
    expect(accounts.size).toBe(10);
    expect(regions.size).toBe(16);
    expect(sizes.filter((n) => n <= 5).length).toBeGreaterThan(0.9 * sizes.length);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(1000);
    expect(files.some((f) => f.includes(`${path.sep}AWSLogs${path.sep}o-`))).toBe(true);
  });

  it("should be deterministic", async () => {
    const a = await mkdtemp(path.join(os.tmpdir(), "trailbook-bench-a-"));
    const b = await mkdtemp(path.join(os.tmpdir(), "trailbook-bench-b-"));
    try {
      await writeBenchArchive({ outDir: a, events: 3_000, seed: 5 });
      await writeBenchArchive({ outDir: b, events: 3_000, seed: 5 });
      expect(await treeHash(a)).toBe(await treeHash(b));
    } finally {
      await rm(a, { recursive: true, force: true });
      await rm(b, { recursive: true, force: true });
    }
  });
});
