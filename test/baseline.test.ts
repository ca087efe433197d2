import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BaselineOptionError,
  parseSuppressions,
  runBaseline,
  SuppressionFileError,
  type BaselineResult,
  type Finding,
} from "../src/baseline/index.js";
import { benchBaseline } from "../src/baseline/bench.js";
import { sourceAddressSql, sourcePrefixSql } from "../src/baseline/network.js";
import { userAgentFamilySql, userAgentVersionSql } from "../src/baseline/user-agent.js";
import { openCase, type Case } from "../src/query/case.js";
import { listValue } from "../src/query/filters.js";
import { ingest } from "../src/store/ingest.js";
import { cloudTrailEvent, logFile } from "./fixtures/edge-cases.js";

const ACCOUNT = "111122223333";
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Baseline: 21 days from 2026-10-01; detection: 2026-10-22 and 23. */
const START = Date.UTC(2026, 9, 1);
const DETECT = START + 21 * DAY;
const END = DETECT + 2 * DAY;

const CLI = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.ubuntu.22 prompt/off";
const CLI_NEWER = "aws-cli/2.16.1 Python/3.11.8 Linux/6.1 exe/x86_64.ubuntu.22 prompt/off";
const BOTO = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0-kali3-amd64 Botocore/1.34.0";
const TERRAFORM =
  "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.62.0 aws-sdk-go-v2/1.30.3";

const arn = (kind: "user" | "role", name: string) => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;
const ALICE = arn("user", "alice");
const DEPLOY = arn("user", "deploy-bot");
const FINANCE = arn("role", "finance-reports");
const STACKSET = arn("role", "AWSCloudFormationStackSetExecutionRole");
const CI = arn("role", "ci-runner");
const NEWBIE = arn("user", "newbie");
const CONFIG = "service:config.amazonaws.com";

function iamUser(name: string) {
  return {
    type: "IAMUser",
    principalId: `AIDA${name.toUpperCase().replace(/-/g, "")}`,
    arn: arn("user", name),
    accountId: ACCOUNT,
    accessKeyId: `AKIA${name.toUpperCase().replace(/-/g, "")}`,
    userName: name,
  };
}

function roleSession(role: string, session: string, invokedBy?: string) {
  return {
    type: "AssumedRole",
    principalId: `AROA${role.toUpperCase().replace(/-/g, "")}:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
    accountId: ACCOUNT,
    accessKeyId: "ASIAEXAMPLE",
    ...(invokedBy ? { invokedBy } : {}),
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: `AROA${role.toUpperCase().replace(/-/g, "")}`,
        arn: arn("role", role),
        accountId: ACCOUNT,
        userName: role,
      },
      attributes: { creationDate: "2026-10-01T00:00:00Z", mfaAuthenticated: "false" },
    },
  };
}

/** A small seeded generator, so the world is the same on every run. */
function random(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

interface Call {
  t: number;
  identity: Record<string, unknown>;
  source: string;
  name: string;
  region: string;
  ip: string;
  ua: string;
  error?: string;
}

/** The planted stories' event ids, by name. */
interface World {
  events: Record<string, unknown>[];
  stolenKey: string[];
  burst: string[];
  night: string[];
  knownSubnet: string[];
  stackset: string[];
  ciUpgrade: string[];
  quiet: string[];
}

function buildWorld(): World {
  const rnd = random(7);
  const events: Record<string, unknown>[] = [];
  const emit = (c: Call): string => {
    const e = cloudTrailEvent({
      userIdentity: c.identity,
      eventTime: new Date(c.t).toISOString().replace(".000Z", "Z"),
      eventSource: c.source,
      eventName: c.name,
      awsRegion: c.region,
      sourceIPAddress: c.ip,
      userAgent: c.ua,
      ...(c.error ? { errorCode: c.error, errorMessage: "denied" } : {}),
    });
    events.push(e);
    return e.eventID as string;
  };
  const world: World = {
    events,
    stolenKey: [],
    burst: [],
    night: [],
    knownSubnet: [],
    stackset: [],
    ciUpgrade: [],
    quiet: [],
  };
  const aliceCalls: [string, string][] = [
    ["ec2.amazonaws.com", "DescribeInstances"],
    ["s3.amazonaws.com", "ListBuckets"],
    ["sts.amazonaws.com", "GetCallerIdentity"],
  ];
  for (let day = START; day < END; day += DAY) {
    const detect = day >= DETECT;
    const weekday = new Date(day).getUTCDay() % 6 !== 0;
    // alice: office hours, two regions, two addresses in one /24, the CLI.
    for (let i = 0; i < 12; i++) {
      const [source, name] = aliceCalls[rnd(3)]!;
      emit({
        t: day + (9 + rnd(8)) * HOUR + rnd(3600) * 1000,
        identity: iamUser("alice"),
        source,
        name,
        region: rnd(2) ? "us-east-1" : "us-west-2",
        ip: rnd(2) ? "198.51.100.7" : "198.51.100.8",
        ua: CLI,
      });
    }
    // deploy-bot: 2 to 4 AssumeRole calls a day, any hour.
    for (let i = 0, n = 2 + rnd(3); i < n; i++) {
      emit({
        t: day + rnd(24) * HOUR + rnd(3600) * 1000,
        identity: iamUser("deploy-bot"),
        source: "sts.amazonaws.com",
        name: "AssumeRole",
        region: "us-west-2",
        ip: "34.212.88.10",
        ua: TERRAFORM,
      });
    }
    // finance-reports: console role, 13:00-20:59 on weekdays.
    if (weekday) {
      for (let i = 0; i < 6; i++) {
        emit({
          t: day + (13 + rnd(8)) * HOUR + rnd(3600) * 1000,
          identity: roleSession("finance-reports", `carol-${day}`),
          source: "ce.amazonaws.com",
          name: "GetCostAndUsage",
          region: "us-east-1",
          ip: "64.124.9.20",
          ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/129.0 Safari/537.36",
        });
      }
    }
    // CloudFormation acting for the StackSet role in four regions, at any hour.
    for (const region of ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"]) {
      const id = emit({
        t: day + rnd(24) * HOUR + rnd(3600) * 1000,
        identity: roleSession(
          "AWSCloudFormationStackSetExecutionRole",
          "stackset",
          "cloudformation.amazonaws.com",
        ),
        source: "cloudformation.amazonaws.com",
        name: "DescribeStacks",
        region,
        ip: "cloudformation.amazonaws.com",
        ua: "cloudformation.amazonaws.com",
      });
      if (detect) world.stackset.push(id);
    }
    // AWS Config assumes its role in every region daily (and, in detection, one more region).
    const configRegions = [
      "us-east-1",
      "us-east-2",
      "us-west-1",
      "us-west-2",
      "eu-west-1",
      "eu-central-1",
    ];
    if (detect) configRegions.push("sa-east-1");
    for (const region of configRegions) {
      emit({
        t: day + 6 * HOUR + rnd(1800) * 1000,
        identity: { type: "AWSService", invokedBy: "config.amazonaws.com" },
        source: "sts.amazonaws.com",
        name: "AssumeRole",
        region,
        ip: "config.amazonaws.com",
        ua: "config.amazonaws.com",
      });
    }
    // ci-runner: the CLI every day; upgraded in the detection window.
    for (let i = 0; i < 4; i++) {
      const id = emit({
        t: day + (2 + rnd(20)) * HOUR + rnd(3600) * 1000,
        identity: roleSession("ci-runner", `build-${day}-${i}`),
        source: "s3.amazonaws.com",
        name: "ListBuckets",
        region: "us-east-1",
        ip: "52.14.77.5",
        ua: detect ? CLI_NEWER : CLI,
      });
      if (detect) world.ciUpgrade.push(id);
    }
  }
  // newbie: one day of baseline, then the detection window.
  for (const t of [START + 20 * DAY + 10 * HOUR, DETECT + 10 * HOUR, DETECT + 11 * HOUR]) {
    emit({
      t,
      identity: iamUser("newbie"),
      source: "s3.amazonaws.com",
      name: "ListBuckets",
      region: "eu-west-3",
      ip: "192.0.2.44",
      ua: BOTO,
    });
  }
  // quiet: one call a day at 10:00, then a dozen in one detection hour: far above its median,
  // but under the volume floor.
  for (let day = START; day < END; day += DAY) {
    const n = day === DETECT ? 12 : 1;
    for (let i = 0; i < n; i++) {
      const id = emit({
        t: day + 10 * HOUR + i * 2 * MINUTE,
        identity: iamUser("quiet"),
        source: "s3.amazonaws.com",
        name: "ListBuckets",
        region: "eu-west-1",
        ip: "203.0.113.9",
        ua: CLI,
      });
      if (day === DETECT) world.quiet.push(id);
    }
  }
  // (a) alice's key, stolen: 50 minutes from a new country, a new client, a new region, denials.
  const stolenAt = DETECT + DAY + 2 * HOUR + 5 * MINUTE;
  const stolen: [string, string, string, string?][] = [
    ["sts.amazonaws.com", "GetCallerIdentity", "ap-southeast-1"],
    ["iam.amazonaws.com", "ListUsers", "us-east-1"],
    ["s3.amazonaws.com", "ListBuckets", "ap-southeast-1"],
    ["ec2.amazonaws.com", "DescribeInstances", "ap-southeast-1", "Client.UnauthorizedOperation"],
    ["sts.amazonaws.com", "GetSessionToken", "eu-north-1"],
    ["ec2.amazonaws.com", "DescribeInstances", "eu-north-1", "Client.UnauthorizedOperation"],
  ];
  stolen.forEach(([source, name, region, error], i) => {
    world.stolenKey.push(
      emit({
        t: stolenAt + i * 9 * MINUTE,
        identity: iamUser("alice"),
        source,
        name,
        region,
        ip: "185.220.101.47",
        ua: BOTO,
        ...(error ? { error } : {}),
      }),
    );
  });
  // A new address inside alice's /24, during her working day: not a new network.
  for (let i = 0; i < 3; i++) {
    world.knownSubnet.push(
      emit({
        t: DETECT + 15 * HOUR + i * 7 * MINUTE,
        identity: iamUser("alice"),
        source: "ec2.amazonaws.com",
        name: "DescribeInstances",
        region: "us-east-1",
        ip: "198.51.100.199",
        ua: CLI,
      }),
    );
  }
  // (b) deploy-bot: 80 AssumeRole calls in 20 minutes.
  for (let i = 0; i < 80; i++) {
    world.burst.push(
      emit({
        t: DETECT + 15 * HOUR + 4 * MINUTE + i * 15_000,
        identity: iamUser("deploy-bot"),
        source: "sts.amazonaws.com",
        name: "AssumeRole",
        region: "us-west-2",
        ip: "34.212.88.10",
        ua: TERRAFORM,
      }),
    );
  }
  // (c) finance-reports at 03:00 UTC, with its usual address and client.
  for (let i = 0; i < 5; i++) {
    world.night.push(
      emit({
        t: DETECT + 3 * HOUR + 2 * MINUTE + i * 3 * MINUTE,
        identity: roleSession("finance-reports", "carol-night"),
        source: "ce.amazonaws.com",
        name: "GetCostAndUsage",
        region: "us-east-1",
        ip: "64.124.9.20",
        ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/129.0 Safari/537.36",
      }),
    );
  }
  return world;
}

function storyOf(result: BaselineResult, actor: string, ids: string[]) {
  return result.stories.find((s) => s.actor === actor && s.eventIds.some((id) => ids.includes(id)));
}

function findingsOf(result: BaselineResult, actor: string): Finding[] {
  return result.findings.filter((f) => f.actor === actor);
}

describe("baseline on a generated case with known answers", () => {
  let dir: string;
  let world: World;
  let c: Case;
  let result: BaselineResult;
  const detectFrom = new Date(DETECT).toISOString();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-baseline-"));
    world = buildWorld();
    const evidence = join(dir, "evidence");
    mkdirSync(evidence);
    // A few files, so the load is like an export's.
    const per = Math.ceil(world.events.length / 4);
    for (let i = 0; i < 4; i++) {
      writeFileSync(
        join(evidence, `part-${i}.json`),
        logFile(world.events.slice(i * per, (i + 1) * per)),
      );
    }
    await ingest({ inputs: [evidence], db: join(dir, "case.duckdb"), workers: 1 });
    c = await openCase(join(dir, "case.duckdb"));
    result = await runBaseline(c, {
      detectFrom,
      suppressions: parseSuppressions(
        JSON.stringify({
          rules: [
            {
              actor: "arn:aws:iam::*:role/ci-*",
              field: "user_agent_version",
              value: "aws-cli/*",
              reason: "CI images update the CLI",
            },
            { actor: "*", field: "region", value: "antarctica-1", reason: "never matches" },
          ],
        }),
      ),
    });
  });
  afterAll(() => {
    c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should resolve the baseline as the 21 days before the detection window", () => {
    expect(result.windows.baseline).toEqual({
      from: new Date(START).toISOString(),
      to: detectFrom,
      days: 21,
    });
    expect(result.windows.detection.from).toBe(detectFrom);
    expect(result.counts.baselineEvents + result.counts.detectionEvents).toBeGreaterThan(700);
  });

  it("should make the stolen-key hour one story at the top, with every kind of new", () => {
    const story = storyOf(result, ALICE, world.stolenKey)!;
    expect(story).toBeDefined();
    expect(result.stories[0]!.id).toBe(story.id);
    const inStory = result.findings.filter((f) => f.group === story.id);
    const kinds = new Set(inStory.map((f) => f.kind));
    for (const k of [
      "new-region",
      "new-source-prefix",
      "new-user-agent-family",
      "new-error-code",
    ]) {
      expect(kinds, k).toContain(k);
    }
    const regions = inStory.filter((f) => f.kind === "new-region").map((f) => f.value);
    expect(regions.sort()).toEqual(["ap-southeast-1", "eu-north-1"]);
    // Every finding of alice in that hour is in this one story.
    const hour = findingsOf(result, ALICE).filter((f) =>
      f.eventIds.some((id) => world.stolenKey.includes(id)),
    );
    expect(new Set(hour.map((f) => f.group))).toEqual(new Set([story.id]));
    expect(story.eventCount).toBe(world.stolenKey.length);
    expect(story.eventIds.sort()).toEqual([...world.stolenKey].sort());
  });

  it("should explain a finding with the baseline it is compared with", () => {
    const region = result.findings.find((f) => f.actor === ALICE && f.value === "ap-southeast-1")!;
    expect(region.baseline.summary).toBe(
      "regions seen in the 21-day baseline (active on 21 days): us-east-1, us-west-2",
    );
    expect(region.baseline.values).toEqual(["us-east-1", "us-west-2"]);
    expect(region.explanation).toContain(ALICE);
    expect(region.eventIds.every((id) => world.stolenKey.includes(id))).toBe(true);
    expect(region.eventCount).toBe(region.eventIds.length);
    const prefix = result.findings.find(
      (f) => f.kind === "new-source-prefix" && f.actor === ALICE,
    )!;
    expect(prefix.value).toBe("185.220.101.0/24");
    expect(prefix.observed.addresses).toEqual(["185.220.101.47"]);
    expect(prefix.baseline.values).toEqual(["198.51.100.0/24"]);
    const client = result.findings.find(
      (f) => f.kind === "new-user-agent-family" && f.actor === ALICE,
    )!;
    expect(client.value).toBe("Boto3");
    expect(client.baseline.values).toEqual(["aws-cli"]);
  });

  it("should rank the AssumeRole burst near the top as a volume finding", () => {
    const story = storyOf(result, DEPLOY, world.burst)!;
    expect(story).toBeDefined();
    expect(result.stories.slice(0, 3).map((s) => s.id)).toContain(story.id);
    const hourly = result.findings.find((f) => f.actor === DEPLOY && f.kind === "volume-hourly")!;
    expect(hourly.value).toBe("sts AssumeRole*");
    expect(hourly.eventCount).toBeGreaterThanOrEqual(80);
    expect(hourly.baseline.median).toBe(0);
    expect(hourly.group).toBe(story.id);
  });

  it("should find the role active at 3 a.m. and rank it near the top", () => {
    const story = storyOf(result, FINANCE, world.night)!;
    expect(story).toBeDefined();
    expect(result.stories.slice(0, 3).map((s) => s.id)).toContain(story.id);
    const f = result.findings.find((x) => x.actor === FINANCE && x.kind === "unusual-hour")!;
    expect(f.value).toBe("3");
    expect(f.baseline.summary).toContain("13-20");
    expect([...f.eventIds].sort()).toEqual([...world.night].sort());
  });

  it("should leave the look-alikes alone", () => {
    // An AWS service acting for a role in its usual regions, with a service name for an address.
    expect(findingsOf(result, STACKSET)).toEqual([]);
    // AWS Config in every region, even a new one: an AWS service, not a principal to baseline.
    expect(result.findings.filter((f) => f.actor === CONFIG)).toEqual([]);
    expect(result.counts.serviceActors).toBe(1);
    // A new address in alice's known /24: scored low, counted, not reported.
    const subnet = result.findings.filter((f) =>
      f.eventIds.some((id) => world.knownSubnet.includes(id)),
    );
    expect(subnet).toEqual([]);
    expect(result.belowThreshold.byKind["new-source-ip"]).toBe(1);
    // alice's usual days: nothing outside the stolen hour.
    const other = findingsOf(result, ALICE).filter(
      (f) => !f.eventIds.some((id) => world.stolenKey.includes(id)),
    );
    expect(other).toEqual([]);
    // And nothing at all for the planted stories' bystanders.
    const actors = new Set(result.findings.map((f) => f.actor));
    expect([...actors].sort()).toEqual([ALICE, DEPLOY, FINANCE].sort());
  });

  it("should keep quiet principals under the volume floor out of the findings", async () => {
    const QUIET = arn("user", "quiet");
    expect(findingsOf(result, QUIET)).toEqual([]);
    const low = await runBaseline(c, { detectFrom, principals: [QUIET], minHourlyEvents: 10 });
    const [f] = findingsOf(low, QUIET);
    expect(f).toMatchObject({ kind: "volume-hourly", value: "s3 List*", eventCount: 12 });
    expect([...f!.eventIds].sort()).toEqual([...world.quiet].sort());
    expect(f!.baseline).toMatchObject({ median: 0, mad: 0 });
  });

  it("should report a principal with too little history instead of scoring it", () => {
    const newbie = result.insufficientHistory.find((a) => a.actor === NEWBIE)!;
    expect(newbie).toMatchObject({ baselineDays: 1, baselineEvents: 1, detectionEvents: 2 });
    expect(newbie.eventIds).toHaveLength(2);
    expect(result.findings.some((f) => f.actor === NEWBIE)).toBe(false);
  });

  it("should apply suppressions and count what each rule took", () => {
    expect(result.suppressed.count).toBe(1);
    const [s] = result.suppressed.findings;
    // The finding rests on the first burst of the new version: one call, the others came later.
    expect(result.suppressed.byRule[0]).toMatchObject({
      index: 0,
      findings: 1,
      events: s!.eventCount,
    });
    expect(world.ciUpgrade).toContain(s!.eventIds[0]);
    expect(result.suppressed.byRule[1]).toMatchObject({ index: 1, findings: 0, events: 0 });
    expect(s).toMatchObject({ actor: CI, kind: "new-user-agent-version", suppressedBy: 0 });
    expect(s!.value).toBe("aws-cli/2.16.1");
    expect(result.findings.some((f) => f.actor === CI)).toBe(false);
  });

  it("should report the CI upgrade when no rule suppresses it", async () => {
    const plain = await runBaseline(c, { detectFrom });
    const f = plain.findings.find((x) => x.actor === CI)!;
    expect(f).toMatchObject({ kind: "new-user-agent-version", value: "aws-cli/2.16.1" });
    expect(plain.suppressed.count).toBe(0);
  });

  it("should return the SQL it ran, with its parameters, and never pull events into JavaScript", () => {
    expect(result.sql.length).toBeGreaterThan(10);
    const scope = result.sql.find((s) =>
      s.sql.includes("CREATE OR REPLACE TEMP TABLE baseline_scope"),
    )!;
    expect(scope.params).toMatchObject({ detect_from: detectFrom });
    expect(result.sql.some((s) => /median\(/.test(s.sql) && /mad\(/.test(s.sql))).toBe(true);
    // The work tables are gone afterwards.
    return c
      .sql("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name LIKE 'baseline_%'")
      .then((r) => expect(r.rows[0]).toEqual({ n: 0 }));
  });

  it("should take an explicit baseline window and reject one that overlaps detection", async () => {
    const r = await runBaseline(c, {
      detectFrom,
      baselineFrom: "2026-10-08",
      baselineTo: "2026-10-22T00:00:00Z",
    });
    expect(r.windows.baseline.days).toBe(14);
    expect(storyOf(r, ALICE, world.stolenKey)).toBeDefined();
    await expect(
      runBaseline(c, { detectFrom, baselineFrom: "2026-10-08", baselineTo: "2026-10-23" }),
    ).rejects.toMatchObject({ code: "invalid-window", field: "baselineTo" });
    await expect(runBaseline(c, { detectFrom: "yesterday" })).rejects.toBeInstanceOf(
      BaselineOptionError,
    );
    await expect(
      runBaseline(c, {
        detectFrom,
        baselineDays: 7,
        baselineFrom: "2026-10-01",
        baselineTo: detectFrom,
      }),
    ).rejects.toMatchObject({ code: "conflicting-options" });
  });

  it("should compare chosen fields and combinations of up to three", async () => {
    const r = await runBaseline(c, {
      detectFrom,
      fields: ["event_name+region+user_agent_family", "source_ip"],
    });
    // Canonical names; the network comes with the address.
    expect(r.options.fields).toEqual([
      "region+user_agent_family+event_name",
      "source_prefix",
      "source_ip",
    ]);
    const combos = r.findings.filter((f) => f.kind === "new-combination");
    expect(combos.length).toBeGreaterThan(0);
    for (const f of combos) {
      expect(f.field).toBe("region+user_agent_family+event_name");
      expect(f.value.split(" + ")).toHaveLength(3);
      // With no region, client or event-name term of its own, the combination speaks for them.
      expect(world.stolenKey).toEqual(expect.arrayContaining(f.eventIds));
    }
    expect(r.findings.some((f) => f.kind === "new-region")).toBe(false);
    expect(r.findings.some((f) => f.kind === "new-source-prefix" && f.actor === ALICE)).toBe(true);
    for (const fields of [
      ["region+region"],
      ["regoin"],
      ["region+event_name+error_code+source_ip"],
    ]) {
      await expect(runBaseline(c, { detectFrom, fields })).rejects.toMatchObject({
        code: "invalid-field",
        field: "fields",
        value: fields[0],
      });
    }
  });

  it("should look only at the principals asked for", async () => {
    const r = await runBaseline(c, { detectFrom, principals: [DEPLOY] });
    expect(new Set(r.findings.map((f) => f.actor))).toEqual(new Set([DEPLOY]));
    expect(r.counts.actors).toBe(1);
    expect(r.options.filters.principals).toEqual([DEPLOY]);
    await expect(runBaseline(c, { detectFrom, principals: [""] })).rejects.toMatchObject({
      code: "invalid-value",
      field: "principals",
    });
  });

  it("should read times with the query layer's parser and name the option in errors", async () => {
    await expect(runBaseline(c, { detectFrom: "2026-02-31" })).rejects.toMatchObject({
      code: "invalid-time",
      field: "detectFrom",
      value: "2026-02-31",
    });
    const r = await runBaseline(c, {
      detectFrom: "2026-10-22T02:00:00+02:00",
      detectTo: "2026-10-23",
    });
    expect(r.windows.detection).toEqual({ from: detectFrom, to: "2026-10-23T00:00:00.000Z" });
  });

  it("should read addresses, networks and clients in SQL, leaving service names out", async () => {
    const cases: [string, string | null, string | null][] = [
      ["198.51.100.7", "198.51.100.7", "198.51.100.0/24"],
      ["2001:DB8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::/48"],
      ["2001:db8::1", "2001:db8::1", "2001:db8:0::/48"],
      ["fe80::1%eth0", "fe80::1", "fe80:0:0::/48"],
      ["config.amazonaws.com", null, null],
      ["AWS Internal", null, null],
      ["999.1.1.1", null, null],
    ];
    const rows = await c.sql<{ raw: string; address: string | null; prefix: string | null }>(
      `SELECT raw, address, ${sourcePrefixSql("address")} AS prefix
       FROM (SELECT raw, ${sourceAddressSql("raw")} AS address FROM (SELECT unnest($raw) AS raw))`,
      { raw: listValue(cases.map((x) => x[0])) },
    );
    expect(rows.rows.map((r) => [r.raw, r.address, r.prefix])).toEqual(cases);
    const agents: [string, string | null, string | null][] = [
      [CLI, "aws-cli", "2.15.0"],
      [BOTO, "Boto3", "1.34.0"],
      [TERRAFORM, "Terraform", "1.9.5"],
      ["aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5", "aws-sdk-go-v2", "1.30.3"],
      ["cloudformation.amazonaws.com", "cloudformation.amazonaws.com", null],
      ["AWS Internal", "aws-internal", null],
      ["Mozilla/5.0 (Macintosh) Chrome/129.0", "browser", null],
    ];
    const ua = await c.sql<{ raw: string; family: string | null; version: string | null }>(
      `SELECT raw, ${userAgentFamilySql("raw")} AS family, ${userAgentVersionSql("raw")} AS version
       FROM (SELECT unnest($raw) AS raw)`,
      { raw: listValue(agents.map((x) => x[0])) },
    );
    expect(ua.rows.map((r) => [r.raw, r.family, r.version])).toEqual(agents);
  });

  it("should check rules given directly, and match a combination written in any order", async () => {
    const r = await runBaseline(c, {
      detectFrom,
      fields: ["region+event_name"],
      suppressions: [{ actor: ALICE, field: "event_name+region", value: "*", reason: "r" }],
    });
    expect(r.options.suppressions[0]!.field).toBe("region+event_name");
    expect(r.suppressed.count).toBeGreaterThan(0);
    expect(r.suppressed.findings.every((f) => f.actor === ALICE)).toBe(true);
    await expect(
      runBaseline(c, {
        detectFrom,
        suppressions: [{ actor: "*", field: "region", value: "x" } as never],
      }),
    ).rejects.toMatchObject({ code: "invalid-value", field: "suppressions" });
  });

  it("should say which rule of a suppression file is wrong", () => {
    expect(() =>
      parseSuppressions(
        JSON.stringify({ rules: [{ actor: "*", field: "regoin", value: "x", reason: "r" }] }),
        "s.json",
      ),
    ).toThrow(SuppressionFileError);
    // Caught and checked outside the catch, so that not throwing fails the test too.
    let caught: unknown;
    try {
      parseSuppressions(JSON.stringify([{ actor: "*", field: "region", value: "x" }]), "s.json");
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({
      code: "suppression-invalid",
      file: "s.json",
      field: "rules[0].reason",
    });
  });

  // What the run took is the benchmark's figure, not something to assert here.
  it("should run the benchmark's baseline on the case file it opens", async () => {
    c.close();
    const r = await benchBaseline(join(dir, "case.duckdb"), detectFrom);
    expect(r.findings).toBe(result.findings.length + 1);
    c = await openCase(join(dir, "case.duckdb"));
  });
});
