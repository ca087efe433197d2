/**
 * The baseline on the bundled sample evidence: the planted stories (sample-data/expected.json,
 * written by the generator in src/sample/) ranked at the top, the look-alikes absent, and the
 * same through the real `trailbook baseline` command line.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadSuppressions,
  openCase,
  runBaseline,
  type BaselineResult,
  type Case,
  type Finding,
} from "../src/index.js";
import { ingest } from "../src/store/ingest.js";

const ROOT = resolve(import.meta.dirname, "..");
const SAMPLE = join(ROOT, "sample-data");
const CLI = join(ROOT, "bin", "trailbook.js");
const run = promisify(execFile);

interface Planted {
  kind: string;
  principalArn: string;
  eventIds: string[];
  window: { start: string; end: string };
}
const expected = JSON.parse(readFileSync(join(SAMPLE, "expected.json"), "utf8")) as {
  window: { detection: { start: string; end: string } };
  anomalies: Planted[];
  lookAlikes: Planted[];
};
const anomaly = (kind: string) => expected.anomalies.find((a) => a.kind === kind)!;
const lookAlike = (kind: string) => expected.lookAlikes.find((a) => a.kind === kind)!;
const DETECT_FROM = expected.window.detection.start;

/** The CLI as a user runs it (the built one: `npm test` builds before the tests run). */
async function trailbook(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      maxBuffer: 1 << 26,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The reported findings that rest on any of these events. */
function findingsOn(result: { findings: Finding[] }, ids: string[]): Finding[] {
  const set = new Set(ids);
  return result.findings.filter((f) => f.eventIds.some((id) => set.has(id)));
}

describe("baseline on the sample data", () => {
  let dir: string;
  let db: string;
  let c: Case;
  let result: BaselineResult;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-baseline-sample-"));
    db = join(dir, "case.duckdb");
    await ingest({ inputs: [join(SAMPLE, "evidence")], db, workers: 1 });
    c = await openCase(db);
    result = await runBaseline(c, { detectFrom: DETECT_FROM });
  });
  afterAll(() => {
    c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should score the detection window against the 21 days before it", () => {
    expect(result.windows.baseline).toMatchObject({ to: "2026-10-26T00:00:00.000Z", days: 21 });
    // The sample starts on 7 October: the baseline window is wider than the evidence.
    expect(result.counts.baselineCoveredDays).toBe(19);
    expect(result.counts.unattributedEvents).toBe(0);
  });

  it("should make the stolen key's hour the top story: new region, foreign network, new client", () => {
    const planted = anomaly("new-region-new-address-new-client");
    const top = result.stories[0]!;
    expect(top.actor).toBe(planted.principalArn);
    const inTop = result.findings.filter((f) => f.group === top.id);
    const value = (kind: string) => inTop.filter((f) => f.kind === kind).map((f) => f.value);
    expect(value("new-region").sort()).toEqual(["ap-southeast-1", "eu-north-1"]);
    expect(value("new-source-prefix")).toEqual(["185.220.101.0/24"]);
    expect(value("new-user-agent-family")).toEqual(["Boto3"]);
    const network = inTop.find((f) => f.kind === "new-source-prefix")!;
    expect(network.observed.addresses).toEqual(["185.220.101.47"]);
    expect(network.baseline.values).toEqual(["34.212.88.0/24"]);
    expect(network.explanation).toContain("networks seen in the 21-day baseline");
    // Every planted event of the stolen key's first minutes is in the story.
    expect(top.eventIds).toEqual(expect.arrayContaining(planted.eventIds));
    // The probing that follows, by the same key, is the same story.
    const probing = anomaly("assume-role-probing");
    const probes = findingsOn(result, probing.eventIds).filter((f) => f.actor === top.actor);
    expect(probes.length).toBeGreaterThan(0);
    for (const f of probes) expect(f.group).toBe(top.id);
  });

  it("should rank the AssumeRole burst second, as hourly and daily volume", () => {
    const planted = anomaly("assume-role-burst");
    const story = result.stories[1]!;
    expect(story.actor).toBe(planted.principalArn);
    const hourly = result.findings.find((f) => f.group === story.id && f.kind === "volume-hourly")!;
    expect(hourly.value).toBe("sts AssumeRole*");
    expect(hourly.eventCount).toBe(80);
    expect(hourly.baseline.median).toBe(0);
    expect(hourly.explanation).toMatch(/median 0, MAD 0, most [1-5]\b/);
    expect(planted.eventIds).toEqual(expect.arrayContaining(hourly.eventIds));
    expect(result.findings.some((f) => f.group === story.id && f.kind === "volume-daily")).toBe(
      true,
    );
  });

  it("should find the role active at 3 a.m., and the SAML sign-in that began it", () => {
    const planted = anomaly("unusual-hour");
    const found = findingsOn(result, planted.eventIds);
    expect(found.map((f) => f.kind)).toEqual(["unusual-hour", "unusual-hour"]);
    const role = found.find((f) => f.actor === planted.principalArn)!;
    expect(role.value).toBe("3");
    expect(role.baseline.summary).toMatch(/hours of day \(UTC\) active .*: 1[0-9]-2[0-9]/);
    // Every planted event is on one of the two findings.
    const covered = new Set(found.flatMap((f) => f.eventIds));
    expect(planted.eventIds.every((id) => covered.has(id))).toBe(true);
    expect(found.find((f) => f.actor !== planted.principalArn)!.actor).toMatch(
      /^saml:.*:carol\.diaz@example\.com$/,
    );
  });

  it("should rank the planted stories above everything else", () => {
    const plantedIds = new Set(expected.anomalies.flatMap((a) => a.eventIds));
    const ranks = result.stories.map((s) => s.eventIds.some((id) => plantedIds.has(id)));
    // The planted stories come first, then anything else.
    const firstOther = ranks.indexOf(false);
    expect(firstOther === -1 ? ranks.length : firstOther).toBeGreaterThanOrEqual(4);
    if (firstOther !== -1) expect(ranks.slice(firstOther).every((p) => !p)).toBe(true);
  });

  it("should leave every look-alike alone", () => {
    for (const l of expected.lookAlikes) {
      if (l.kind === "client-upgrade") continue; // suppressed below, by the sample's file
      expect(findingsOn(result, l.eventIds), l.kind).toEqual([]);
    }
    // AWS Config is an AWS service: counted, never baselined.
    expect(result.counts.serviceActors).toBeGreaterThan(0);
    expect(result.findings.some((f) => f.actor.startsWith("service:"))).toBe(false);
    // CloudFormation acting for its role, from its service name: nothing about the role.
    const stackSets = lookAlike("service-acting-for-role");
    expect(result.findings.filter((f) => f.actor === stackSets.principalArn)).toEqual([]);
    // alice's new address inside her /24: scored low and counted, not reported.
    const subnet = lookAlike("new-address-in-known-subnet");
    expect(result.findings.filter((f) => f.actor === subnet.principalArn)).toEqual([]);
    expect(result.belowThreshold.byKind["new-source-ip"]).toBe(1);
  });

  it("should report the role the stolen key got into as too new to judge", () => {
    const probing = anomaly("assume-role-probing");
    const [role] = result.insufficientHistory;
    expect(role!.actor).toBe("arn:aws:iam::444455556666:role/public-sharing");
    expect(role).toMatchObject({ baselineDays: 0, baselineEvents: 0, detectionEvents: 2 });
    expect(probing.eventIds).toEqual(expect.arrayContaining(role!.eventIds));
    expect(result.findings.some((f) => f.actor === role!.actor)).toBe(false);
  });

  it("should report the CI client upgrade, and count it against the rule that suppresses it", async () => {
    const upgrade = lookAlike("client-upgrade");
    const [plain] = findingsOn(result, upgrade.eventIds);
    expect(plain).toMatchObject({
      actor: upgrade.principalArn,
      kind: "new-user-agent-version",
      value: "aws-cli/2.18.4",
    });
    expect(plain!.baseline.values).toEqual(["aws-cli/2.13.25"]);
    const rules = await loadSuppressions(join(SAMPLE, "suppressions.json"));
    const suppressed = await runBaseline(c, { detectFrom: DETECT_FROM, suppressions: rules });
    expect(findingsOn(suppressed, upgrade.eventIds)).toEqual([]);
    expect(suppressed.suppressed.count).toBe(1);
    expect(suppressed.suppressed.byRule).toEqual([
      { index: 0, rule: rules[0], findings: 1, events: plain!.eventCount },
    ]);
    expect(suppressed.findings.length).toBe(result.findings.length - 1);
  });

  describe("through the command line", () => {
    beforeAll(() => c.close());
    afterAll(async () => {
      c = await openCase(db);
    });

    it("should write the findings as JSON rows carrying their event ids", async () => {
      const out = await trailbook([
        "baseline",
        "--db",
        db,
        "--detect-from",
        DETECT_FROM,
        "--format",
        "json",
      ]);
      expect(out.code).toBe(0);
      const rows = JSON.parse(out.stdout) as Record<string, unknown>[];
      expect(rows.length).toBe(result.findings.length);
      expect(rows.map((r) => r.title)).toEqual(result.findings.map((f) => f.title));
      expect(rows[0]).toMatchObject({ rank: 1, kind: "volume-hourly", events: 80 });
      for (const r of rows) expect((r.event_ids as string[]).length).toBeGreaterThan(0);
      // What was counted and left out goes to stderr, not into the rows.
      expect(out.stderr).toContain("21 scored, 1 with less than 3 days of history");
      expect(out.stderr).toMatch(/left out: \d+ events of \d+ AWS service principals/);
    });

    it("should show stories, insufficient history and suppressions as tables", async () => {
      const stories = await trailbook([
        "baseline",
        "--db",
        db,
        "--detect-from",
        DETECT_FROM,
        "--show",
        "stories",
      ]);
      expect(stories.code).toBe(0);
      const lines = stories.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^rank\s+score\s+principal\s+kinds\s+first_seen/);
      expect(lines[2]).toMatch(/^1 +\d+(\.\d+)? +user\/build-bot +new-region, /);
      expect(lines.at(-1)).toBe(`(${result.stories.length} rows)`);

      const few = await trailbook([
        "baseline",
        "--db",
        db,
        "--detect-from",
        DETECT_FROM,
        "--show",
        "insufficient",
        "--format",
        "csv",
      ]);
      expect(few.stdout.split("\n")[1]).toMatch(
        /^arn:aws:iam::444455556666:role\/public-sharing,0,0,2,/,
      );

      const suppressed = await trailbook([
        "baseline",
        "--db",
        db,
        "--detect-from",
        DETECT_FROM,
        "--suppress",
        join(SAMPLE, "suppressions.json"),
        "--show",
        "suppressed",
        "--format",
        "ndjson",
      ]);
      expect(suppressed.code).toBe(0);
      const [row, ...rest] = suppressed.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(rest).toEqual([]);
      expect(row).toMatchObject({ rule: 0, rule_id: "ci-cli-updates", value: "aws-cli/2.18.4" });
      expect(suppressed.stderr).toContain("suppression rule 0 (ci-cli-updates): 1 finding, ");
    });

    it("should narrow to principals and fields, and write Parquet with typed columns", async () => {
      const out = join(dir, "bot.parquet");
      const r = await trailbook([
        "baseline",
        "--db",
        db,
        "--detect-from",
        DETECT_FROM,
        "--principals",
        anomaly("new-region-new-address-new-client").principalArn,
        "--fields",
        "error_code,event_name+user_agent_family",
        "--format",
        "parquet",
        "--out",
        out,
      ]);
      expect(r.code).toBe(0);
      const check = await openCase(db);
      try {
        const rows = await check.sql<{ t: string; ids: string; n: number; kinds: string[] }>(
          `SELECT typeof(first_seen) AS t, typeof(event_ids) AS ids, count(*) AS n,
             list(DISTINCT kind ORDER BY kind) AS kinds FROM read_parquet($file) GROUP BY ALL`,
          { file: out },
        );
        expect(rows.rows).toEqual([
          {
            t: "TIMESTAMP WITH TIME ZONE",
            ids: "VARCHAR[]",
            n: expect.any(Number),
            kinds: ["new-combination", "new-error-code"],
          },
        ]);
      } finally {
        check.close();
      }
    });

    it("should refuse bad options with a usage error naming the option", async () => {
      const cases: [string[], RegExp][] = [
        [["--detect-from", "yesterday"], /--detect-from: "yesterday" is not a time/],
        [
          ["--detect-from", DETECT_FROM, "--detect-to", "2026-10-20"],
          /--detect-to: the detection window ends/,
        ],
        [
          [
            "--detect-from",
            DETECT_FROM,
            "--baseline-from",
            "2026-10-01",
            "--baseline-to",
            "2026-10-27",
          ],
          /--baseline-to: the baseline .* overlaps/,
        ],
        [
          [
            "--detect-from",
            DETECT_FROM,
            "--baseline-days",
            "7",
            "--baseline-from",
            "2026-10-01",
            "--baseline-to",
            "2026-10-20",
          ],
          /either --baseline-days or --baseline-from/,
        ],
        [
          ["--detect-from", DETECT_FROM, "--fields", "region+regoin"],
          /--fields: "region\+regoin": unknown field "regoin"/,
        ],
        [
          ["--detect-from", DETECT_FROM, "--from", "2026-10-01"],
          /--from does not apply to baseline/,
        ],
        [["--detect-from", DETECT_FROM, "--show", "everything"], /unknown --show "everything"/],
        [
          ["--detect-from", DETECT_FROM, "--suppress", join(dir, "missing.json")],
          /cannot read suppression file/,
        ],
      ];
      writeFileSync(
        join(dir, "bad.json"),
        JSON.stringify({ rules: [{ actor: "*", field: "region", value: "x" }] }),
      );
      cases.push([
        ["--detect-from", DETECT_FROM, "--suppress", join(dir, "bad.json")],
        /rules\[0\]\.reason must be a non-empty string/,
      ]);
      for (const [args, message] of cases) {
        const r = await trailbook(["baseline", "--db", db, ...args]);
        expect(r.code, args.join(" ")).toBe(2);
        expect(r.stderr, args.join(" ")).toMatch(message);
        expect(r.stdout).toBe("");
      }
    });

    it("should show an example in its help", async () => {
      const r = await trailbook(["baseline", "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("$ trailbook baseline --db case.duckdb --detect-from 2026-10-26");
      expect(r.stdout).toContain("--baseline-days <n>");
    });
  });
});
