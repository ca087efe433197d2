import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  baselineTimelineChart,
  callsOverTime,
  callsOverTimeChart,
  foldTop,
  ingest,
  openCase,
  outsideVerdictChart,
  principalRegionChart,
  principalsByRegion,
  regionMatcher,
  assumptionStatus,
  roleAssumptionChart,
  renderChart,
  renderSvg,
  runBaseline,
  stsByRegion,
  stsOutsideRegions,
  stsRegionChart,
  svgToPng,
  type Chart,
  type AssumptionEdge,
  type Finding,
  type PrincipalRegionRow,
  type StsRegionRow,
  type TimeBucketRow,
} from "../src/index.js";

const ALLOWED = ["us-east-1", "us-west-2"];

function stsRow(
  logged: string,
  serving: string,
  endpoint: "global" | "regional",
  event: string,
  calls: number,
  errors = 0,
): StsRegionRow {
  return {
    logged_region: logged,
    serving_region: serving,
    requested_region: endpoint === "global" ? "us-east-1" : serving,
    endpoint_type: endpoint,
    event_name: event,
    calls,
    global_endpoint_calls: endpoint === "global" ? calls : 0,
    errors,
    errors_by_code: {},
    principals: 1,
    source_ips: 1,
    first_seen: "2026-10-01T00:00:00.000Z",
    last_seen: "2026-10-02T00:00:00.000Z",
    event_ids: [],
    event_ids_omitted: 0,
  };
}

const STS_ROWS: StsRegionRow[] = [
  stsRow("us-east-1", "us-east-1", "regional", "AssumeRole", 40),
  stsRow("us-east-1", "us-east-1", "global", "AssumeRole", 12, 1),
  stsRow("us-east-1", "eu-west-1", "global", "AssumeRole", 3),
  stsRow("us-west-2", "us-west-2", "regional", "AssumeRole", 30),
  stsRow("ap-southeast-1", "ap-southeast-1", "regional", "GetCallerIdentity", 2),
];

const TIME_ROWS: TimeBucketRow[] = [
  { bucket: "2026-10-26T14:00:00.000Z", region: "us-east-1", calls: 5, errors: 0, principals: 2 },
  { bucket: "2026-10-26T14:00:00.000Z", region: "eu-west-1", calls: 2, errors: 1, principals: 1 },
  { bucket: "2026-10-26T15:00:00.000Z", region: "us-west-2", calls: 7, errors: 0, principals: 3 },
  { bucket: "2026-10-26T16:00:00.000Z", region: "ap-south-1", calls: 1, errors: 0, principals: 1 },
];

function finding(actor: string, kind: Finding["kind"], score: number, first: string, last: string) {
  return {
    id: `f-${actor.length}-${kind}-${first}`,
    actor,
    kind,
    field: "region",
    value: "x",
    score,
    title: `${kind} for ${actor}`,
    explanation: "",
    baseline: { summary: "", activeDays: 10 },
    observed: { summary: "", value: "x", count: 1 },
    firstSeen: first,
    lastSeen: last,
    eventIds: [],
    eventCount: 3,
    group: "s-1",
  } satisfies Finding;
}

const WINDOWS = {
  baseline: { from: "2026-10-05T00:00:00.000Z", to: "2026-10-26T00:00:00.000Z", days: 21 },
  detection: { from: "2026-10-26T00:00:00.000Z", to: "2026-10-28T00:00:00.000Z" },
};

const FINDINGS: Finding[] = [
  finding(
    "arn:aws:iam::111122223333:user/build-bot",
    "new-region",
    3,
    "2026-10-27T02:14:47.000Z",
    "2026-10-27T02:16:49.000Z",
  ),
  finding(
    "arn:aws:iam::111122223333:user/deploy-bot",
    "volume-hourly",
    6.1,
    "2026-10-26T15:04:15.000Z",
    "2026-10-26T15:23:55.000Z",
  ),
  finding(
    "arn:aws:iam::111122223333:user/build-bot",
    "new-source-ip",
    2,
    "2026-10-27T02:14:47.000Z",
    "2026-10-27T02:14:47.000Z",
  ),
];

/** Principals with decreasing activity, some of them outside the allowed regions. */
function manyPrincipals(n: number): PrincipalRegionRow[] {
  const rows: PrincipalRegionRow[] = [];
  for (let i = 0; i < n; i++) {
    const principal = `arn:aws:iam::111122223333:role/app-${String(i).padStart(3, "0")}`;
    const base = { first_seen: "2026-10-01T00:00:00Z", last_seen: "2026-10-02T00:00:00Z" };
    rows.push({ principal, region: "us-east-1", calls: 1000 - i, errors: 0, ...base });
    if (i % 7 === 0) rows.push({ principal, region: "eu-west-1", calls: 3, errors: 1, ...base });
  }
  return rows;
}

describe("chart specs", () => {
  it("are the same for the same input (snapshots)", () => {
    const charts: Chart[] = [
      stsRegionChart(STS_ROWS, { allowedRegions: ALLOWED }),
      callsOverTimeChart(TIME_ROWS, { unit: "hour", allowedRegions: ALLOWED }),
      principalRegionChart(manyPrincipals(5), { allowedRegions: ALLOWED }),
      baselineTimelineChart({ findings: FINDINGS, windows: WINDOWS }),
      outsideVerdictChart(
        [
          {
            actor: "a",
            principal_arn: null,
            verdict: "succeeded-would-be-denied",
            requested_region: "eu-west-1",
          },
          {
            actor: "svc",
            principal_arn: null,
            verdict: "aws-service-not-governed",
            requested_region: "eu-west-1",
          },
          {
            actor: "svc",
            principal_arn: null,
            verdict: "aws-service-not-governed",
            requested_region: "us-east-2",
          },
        ],
        { allowedRegions: ALLOWED },
      ),
    ];
    for (const chart of charts) {
      expect(chart.spec).toMatchSnapshot(chart.id);
    }
    // Built twice, byte for byte the same.
    expect(JSON.stringify(stsRegionChart(STS_ROWS, { allowedRegions: ALLOWED }))).toBe(
      JSON.stringify(charts[0]),
    );
  });

  it("keep the logged and the serving region apart, and mark the outside regions", () => {
    const chart = stsRegionChart(STS_ROWS, { allowedRegions: ALLOWED });
    const values = (chart.spec.data as { values: Record<string, unknown>[] }).values;
    const sum = (panel: string, region: string) =>
      values
        .filter((v) => String(v.panel).startsWith(panel) && v.region === region)
        .reduce((n, v) => n + Number(v.calls), 0);
    // The 3 global-endpoint calls served in eu-west-1 are logged in us-east-1.
    expect(sum("logged", "us-east-1")).toBe(55);
    expect(sum("serving", "us-east-1")).toBe(52);
    expect(sum("serving", "eu-west-1")).toBe(3);
    expect(sum("logged", "eu-west-1")).toBe(0);
    const statuses = new Map(values.map((v) => [v.region, v.status]));
    expect(statuses.get("eu-west-1")).toBe("outside the allowed regions");
    expect(statuses.get("us-west-2")).toBe("allowed region");
    // Every call is counted once in each panel: nothing lost, nothing doubled.
    const total = STS_ROWS.reduce((n, r) => n + r.calls, 0);
    for (const panel of ["logged", "serving"]) {
      const inPanel = values.filter((v) => String(v.panel).startsWith(panel));
      expect(inPanel.reduce((n, v) => n + Number(v.calls), 0)).toBe(total);
    }
    expect(JSON.stringify(chart.spec)).toContain("us-west-2 (allowed)");
  });

  it("rejects STS rows grouped by one region only", () => {
    const { serving_region: _, ...logged } = STS_ROWS[0]!;
    expect(() => stsRegionChart([logged as StsRegionRow])).toThrow(/grouped by 'both'/);
  });

  it("stay readable with hundreds of principals: top N, the rest summed as other", () => {
    const rows = manyPrincipals(300);
    const chart = principalRegionChart(rows, { allowedRegions: ALLOWED, topPrincipals: 25 });
    const values = (chart.spec.data as { values: { label: string; calls: number }[] }).values;
    const labels = [...new Set(values.map((v) => v.label))];
    expect(labels).toHaveLength(26);
    expect(labels[0]).toBe("role/app-000 (111122223333)");
    expect(labels.at(-1)).toBe("other (275 principals)");
    const total = rows.reduce((n, r) => n + r.calls, 0);
    expect(values.reduce((n, v) => n + v.calls, 0)).toBe(total);
    expect(chart.notes[0]).toMatch(
      /^other \(275 principals\): arn:aws:iam::111122223333:role\/app-025,/,
    );
  });

  it("fold nothing when only one key would be folded", () => {
    const weights = new Map([
      ["a", 3],
      ["b", 2],
      ["c", 1],
    ]);
    expect(foldTop(weights, 2, "principal").otherLabel).toBeNull();
    const f = foldTop(new Map([...weights, ["d", 1]]), 2, "principal");
    expect(f.kept).toEqual(["a", "b"]);
    expect(f.folded).toEqual(["c", "d"]);
    expect(f.labelOf("d")).toBe("other (2 principals)");
  });

  it("read allowed-region patterns as a StringNotLike list does", () => {
    const allowed = regionMatcher(["eu-*", "us-east-?"]);
    expect(allowed("eu-west-1")).toBe(true);
    expect(allowed("us-east-2")).toBe(true);
    expect(allowed("us-east-10")).toBe(false);
    expect(allowed("ap-south-1")).toBe(false);
  });
});

describe("rendering", () => {
  it("draws SVG and PNG with no vega warnings", async () => {
    const chart = stsRegionChart(STS_ROWS, { allowedRegions: ALLOWED });
    const out = await renderChart(chart, { scale: 1 });
    expect(out.warnings).toEqual([]);
    expect(out.svg.startsWith("<svg")).toBe(true);
    expect(out.svg).toContain(">STS calls by region</text>");
    expect(out.svg).toContain(">eu-west-1</text>");
    // PNG signature, and the IHDR size is the SVG size at scale 1.
    expect(out.png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    expect(out.png.readUInt32BE(16)).toBe(Math.round(out.width));
    expect(out.png.readUInt32BE(20)).toBe(Math.round(out.height));
    const twice = await svgToPng(out.svg, { scale: 2 });
    expect(twice.readUInt32BE(16)).toBe(Math.round(out.width * 2));
  });

  it("draws the text with the shipped font, and would draw none without it", async () => {
    const { svg } = await renderSvg(stsRegionChart(STS_ROWS, { allowedRegions: ALLOWED }));
    // The same drawing with every text element removed: what a font-less renderer shows.
    const textless = svg.replace(/<text\b[\s\S]*?<\/text>/g, "");
    expect(textless).not.toBe(svg);
    const blank = await svgToPng(textless, { scale: 1 });
    const withFont = await svgToPng(svg, { scale: 1 });
    const noFont = await svgToPng(svg, { scale: 1, fontFiles: [] });
    // Without a font (and with system fonts off, although this machine may have some) resvg
    // silently draws no text; with the shipped font the PNG holds the text.
    expect(noFont.equals(blank)).toBe(true);
    expect(withFont.equals(blank)).toBe(false);
    expect(withFont.length).toBeGreaterThan(blank.length * 1.2);
  });

  it("prints times in UTC whatever the process time zone", async () => {
    const chart = callsOverTimeChart(TIME_ROWS, { unit: "hour", allowedRegions: ALLOWED });
    const zone = process.env.TZ;
    try {
      process.env.TZ = "UTC";
      const utc = (await renderSvg(chart)).svg;
      process.env.TZ = "America/New_York";
      const newYork = (await renderSvg(chart)).svg;
      expect(newYork).toBe(utc);
      expect(utc).toContain(">2026-10-26 14:00</text>");
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("renders a hand-written spec and reports its problems as warnings, not console output", async () => {
    const out = await renderSvg({
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      data: { values: [{ a: 1 }] },
      mark: "point",
      encoding: {
        x: { field: "a", type: "quantitative" },
        shape: { field: "a", type: "quantitative" },
      },
    });
    expect(out.svg.startsWith("<svg")).toBe(true);
    expect(out.warnings.length).toBeGreaterThan(0);
  });
});

describe("charts of the sample case", () => {
  let dir: string;
  let db: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trailbook-chart-"));
    db = join(dir, "case.duckdb");
    await ingest({ inputs: ["sample-data/evidence"], db, workers: 1 });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("render every chart without a warning", async () => {
    const c = await openCase(db);
    try {
      const outside = await stsOutsideRegions(c, { allowedRegions: ALLOWED });
      const charts = [
        stsRegionChart((await stsByRegion(c)).rows, { allowedRegions: ALLOWED }),
        callsOverTimeChart(
          (
            await callsOverTime(c, {
              unit: "hour",
              eventSources: ["sts.amazonaws.com"],
              regionBasis: "serving",
            })
          ).rows,
          { unit: "hour", allowedRegions: ALLOWED },
        ),
        callsOverTimeChart((await callsOverTime(c, { unit: "day" })).rows, { unit: "day" }),
        principalRegionChart((await principalsByRegion(c)).rows, { allowedRegions: ALLOWED }),
        baselineTimelineChart(await runBaseline(c, { detectFrom: "2026-10-26" })),
        outsideVerdictChart(outside.rows, { allowedRegions: ALLOWED }),
      ];
      for (const chart of charts) {
        const out = await renderChart(chart, { scale: 1 });
        expect(out.warnings, chart.id).toEqual([]);
        expect(out.svg, chart.id).toContain(`>${chart.title}</text>`);
      }
      // The outside-regions chart puts the principals a lock governs before AWS services.
      const principals = (charts[5]!.spec.data as { values: { principal: string }[] }).values.map(
        (v) => v.principal,
      );
      expect(principals.at(-1)).toBe("service:config.amazonaws.com");
    } finally {
      c.close();
    }
  });

  it("count the same calls over time as the STS breakdown", async () => {
    const c = await openCase(db);
    try {
      const sts = await stsByRegion(c);
      const overTime = await callsOverTime(c, {
        unit: "day",
        eventSources: ["sts.amazonaws.com"],
        regionBasis: "serving",
      });
      const byServing = new Map<string, number>();
      for (const r of sts.rows) {
        byServing.set(r.serving_region!, (byServing.get(r.serving_region!) ?? 0) + r.calls);
      }
      const byRegion = new Map<string, number>();
      for (const r of overTime.rows)
        byRegion.set(r.region, (byRegion.get(r.region) ?? 0) + r.calls);
      expect(byRegion).toEqual(byServing);
      const matrix = await principalsByRegion(c, { eventSources: ["sts.amazonaws.com"] });
      expect(matrix.rows.reduce((n, r) => n + r.calls, 0)).toBe(
        sts.rows.reduce((n, r) => n + r.calls, 0),
      );
    } finally {
      c.close();
    }
  });
});

describe("empty input", () => {
  it("gives a chart that says there is nothing to draw, and renders without warnings", async () => {
    const charts = [
      stsRegionChart([]),
      callsOverTimeChart([], { unit: "day" }),
      principalRegionChart([]),
      baselineTimelineChart({ findings: [], windows: WINDOWS }),
      outsideVerdictChart([]),
    ];
    for (const chart of charts) {
      const out = await renderSvg(chart);
      expect(out.warnings, chart.id).toEqual([]);
      expect(out.svg).toMatch(/>No [^<]+\.<\/text>/);
    }
  });
});

function edge(source: string, target: string, counts: Partial<AssumptionEdge>): AssumptionEdge {
  const calls = counts.calls ?? 1;
  return {
    source,
    target,
    source_kind: "user",
    source_account: "777788889999",
    target_account: "444455556666",
    event_name: "AssumeRole",
    cross_account: true,
    calls,
    succeeded: calls,
    denied: 0,
    failed: 0,
    trust_allowed: calls,
    trust_not_allowed: 0,
    undetermined: 0,
    not_in_snapshot: 0,
    first_seen: "2026-10-27T02:15:00.000Z",
    last_seen: "2026-10-27T02:16:00.000Z",
    ...counts,
  };
}

const USER = (n: string) => `arn:aws:iam::777788889999:user/${n}`;
const ROLE = (n: string) => `arn:aws:iam::444455556666:role/${n}`;

describe("role-assumption matrix", () => {
  const edges = [
    edge(USER("deploy-bot"), ROLE("terraform-apply"), { calls: 131 }),
    edge(USER("dev-jenkins"), ROLE("reporting-reader"), {
      calls: 15,
      trust_allowed: 0,
      trust_not_allowed: 15,
    }),
    edge(USER("build-bot"), ROLE("BreakGlassAdmin"), {
      succeeded: 0,
      denied: 1,
      trust_allowed: 0,
      trust_not_allowed: 1,
    }),
    edge(USER("build-bot"), ROLE("OrgReadOnly"), { succeeded: 0, denied: 1 }),
    edge(
      "config.amazonaws.com",
      ROLE("aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
      {
        calls: 84,
        source_kind: "service",
        source_account: null,
      },
    ),
  ];

  it("is the same for the same graph (snapshot), refusals and not-allowed calls first", () => {
    const chart = roleAssumptionChart({ edges });
    expect(chart.spec).toMatchSnapshot();
    const values = (chart.spec.data as { values: Record<string, unknown>[] }).values;
    const byCell = new Map(values.map((v) => [`${v.caller} > ${v.role}`, v]));
    expect(
      byCell.get("user/dev-jenkins (777788889999) > reporting-reader (444455556666)"),
    ).toMatchObject({
      status: "succeeded, trust policy does not allow",
      text: "15",
    });
    expect(
      byCell.get("user/build-bot (777788889999) > BreakGlassAdmin (444455556666)"),
    ).toMatchObject({
      status: "refused, as the trust policy would",
      text: "0/1",
    });
    expect(byCell.get("user/build-bot (777788889999) > OrgReadOnly (444455556666)")!.status).toBe(
      "allowed by trust, denied elsewhere",
    );
    // The service-linked role is labelled by its name, not its long path.
    expect(values.map((v) => v.role)).toContain("AWSServiceRoleForConfig (444455556666)");
    // Callers with something to explain come before the busy routine ones.
    const rows = (chart.spec.encoding as { y: { sort: string[] } }).y.sort;
    expect(rows.slice(0, 2)).toEqual([
      "user/dev-jenkins (777788889999)",
      "user/build-bot (777788889999)",
    ]);
  });

  it("orders statuses worst first", () => {
    const base = {
      succeeded: 1,
      denied: 0,
      failed: 0,
      trust_allowed: 1,
      trust_not_allowed: 0,
      undetermined: 0,
      not_in_snapshot: 0,
    };
    expect(assumptionStatus(base)).toBe("allowed by the trust policy");
    expect(assumptionStatus({ ...base, not_in_snapshot: 1, trust_allowed: 0 })).toBe(
      "not checked: role not in a snapshot",
    );
    expect(assumptionStatus({ ...base, undetermined: 1, trust_not_allowed: 1 })).toBe(
      "succeeded, trust policy does not allow",
    );
  });

  it("stays readable with hundreds of callers and roles, counting every call", async () => {
    const many: AssumptionEdge[] = [];
    for (let i = 0; i < 400; i++) {
      many.push(
        edge(USER(`u${String(i).padStart(3, "0")}`), ROLE(`r${i % 120}`), { calls: 1 + (i % 5) }),
      );
    }
    const chart = roleAssumptionChart({ edges: many }, { topCallers: 25, topRoles: 20 });
    const values = (
      chart.spec.data as { values: { caller: string; role: string; calls: number }[] }
    ).values;
    expect(new Set(values.map((v) => v.caller)).size).toBe(26);
    expect(new Set(values.map((v) => v.role)).size).toBe(21);
    expect(values.reduce((n, v) => n + v.calls, 0)).toBe(many.reduce((n, e) => n + e.calls, 0));
    expect(chart.notes).toHaveLength(2);
    const out = await renderSvg(chart);
    expect(out.warnings).toEqual([]);
  });

  it("says so when there is no assumption", async () => {
    const out = await renderSvg(roleAssumptionChart({ edges: [] }));
    expect(out.svg).toContain(">No role assumption in the range asked.</text>");
  });
});
