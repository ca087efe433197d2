import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import {
  escapeHtml,
  ingest,
  loadIamSnapshots,
  openCase,
  ReportOutputError,
  writeReport,
  type WrittenReport,
} from "../src/index.js";
import { findChromium, inspectPage } from "./helpers/chromium.js";
import { parseCsv } from "./helpers/csv-reader.js";

const SCP = "sample-data/policies/region-lock-scp.json";
const ORGANIZATION = "sample-data/iam/organization.json";
const IAM = [
  "sample-data/iam/111122223333-authorization-details.json",
  "sample-data/iam/444455556666-authorization-details.json",
  "sample-data/iam/777788889999-authorization-details.json",
  "sample-data/iam/get-role-VendorMonitoring.json",
  ORGANIZATION,
];

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (
    out.push(String(s)),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (
    err.push(String(s)),
    true
  )) as typeof process.stderr.write;
  try {
    const code = await main(["node", "trailbook", ...args]);
    return { code, out: out.join(""), err: err.join("") };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

let dir: string;
let db: string;
/** The same evidence, without IAM snapshots. */
let noIam: string;
let written: WrittenReport;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trailbook-report-"));
  db = join(dir, "case.duckdb");
  await ingest({ inputs: ["sample-data/evidence"], db, workers: 1 });
  noIam = join(dir, "no-iam.duckdb");
  copyFileSync(db, noIam);
  const w = await openCase(db, { writable: true });
  try {
    await loadIamSnapshots(w, IAM);
  } finally {
    w.close();
  }
  const c = await openCase(db);
  try {
    written = await writeReport(c, join(dir, "report"), {
      policy: readFileSync(SCP, "utf8"),
      policyFile: SCP,
      organization: readFileSync(ORGANIZATION, "utf8"),
      organizationFile: ORGANIZATION,
      pngScale: 1,
    });
  } finally {
    c.close();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the report folder", () => {
  it("holds the HTML, a PNG per chart, a CSV per table, and a manifest of their hashes", () => {
    const out = written.dir;
    const sections = written.report.sections.map((s) => s.id);
    expect(sections).toEqual([
      "scope",
      "sts-regions",
      "sts-outside",
      "trust",
      "baseline",
      "activity",
      "controls",
    ]);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    const paths = manifest.files.map((f: { path: string }) => f.path).sort();
    const charts = written.report.sections.flatMap((s) =>
      s.charts.map((c) => `charts/${c.id}.png`),
    );
    const tables = written.report.sections.flatMap((s) =>
      s.tables.map((t) => `tables/${t.id}.csv`),
    );
    expect(paths).toEqual([...charts, ...tables, "report.html"].sort());
    for (const f of manifest.files as { path: string; bytes: number; sha256: string }[]) {
      const bytes = readFileSync(join(out, f.path));
      expect(bytes.length).toBe(f.bytes);
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(f.sha256);
    }
    for (const png of charts) {
      expect(readFileSync(join(out, png)).subarray(1, 4).toString()).toBe("PNG");
    }
    expect(manifest.warnings).toEqual([]);
  });

  it("writes every row of every table to its CSV", () => {
    for (const table of written.report.sections.flatMap((s) => s.tables)) {
      const records = parseCsv(readFileSync(join(written.dir, `tables/${table.id}.csv`), "utf8"));
      expect(records[0], table.id).toEqual(table.columns.map((c) => c.key));
      expect(records.length - 1, table.id).toBe(table.rows.length);
    }
  });

  it("holds, for a table the CLI also prints, the bytes `--format csv` prints", async () => {
    // The report was built with this SCP and organization and no time range; so is the command.
    const lock = ["--scp", SCP, "--organization", ORGANIZATION, "--format", "csv"];
    const pairs = [
      { args: ["sts", "outside", "--db", db, ...lock], table: "sts-outside-calls" },
      {
        args: ["sts", "outside", "--db", db, ...lock, "--by-principal"],
        table: "sts-outside-principals",
      },
    ];
    for (const { args, table } of pairs) {
      const printed = await cli(...args);
      expect(printed.code, printed.err).toBe(0);
      const file = readFileSync(join(written.dir, `tables/${table}.csv`), "utf8");
      expect(printed.out, table).toBe(file);
      // Not two empty tables agreeing: rows with lists (as JSON), times and quoted fields.
      const records = parseCsv(file);
      expect(records.length, table).toBeGreaterThan(5);
      expect(file, table).toMatch(/,(?:\[\]|"\["").*,/);
      expect(file, table).toMatch(/(?:^|,)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z,/m);
    }
  });

  it("adds up: verdicts, STS calls and quarantined files agree with the case", async () => {
    const tables = new Map(written.report.sections.flatMap((s) => s.tables).map((t) => [t.id, t]));
    const rows = (id: string) => tables.get(id)!.rows as Record<string, unknown>[];
    const verdictTotal = rows("sts-outside-verdicts").reduce((n, r) => n + Number(r.calls), 0);
    expect(verdictTotal).toBe(rows("sts-outside-calls").length);
    expect(verdictTotal).toBeGreaterThan(0);
    const stsCalls = rows("sts-by-region").reduce((n, r) => n + Number(r.calls), 0);
    const stsSource = rows("scope-event-sources").find(
      (r) => r.event_source === "sts.amazonaws.com",
    );
    expect(stsCalls).toBe(Number(stsSource!.events));
    const expected = JSON.parse(readFileSync("sample-data/expected.json", "utf8"));
    const quarantined = expected.files.filter(
      (f: { status: string }) => f.status === "quarantined",
    );
    expect(rows("scope-quarantined")).toHaveLength(quarantined.length);
    const check = rows("controls-filter-check")[0]!;
    expect(check.equal).toBe(true);
    // The trust check: every assumption has a verdict, and the planted ones are found.
    const trustTotal = rows("trust-verdicts").reduce((n, r) => n + Number(r.calls), 0);
    expect(trustTotal).toBe(rows("trust-assumptions").length);
    expect(rows("trust-verdicts").find((r) => r.verdict === "role-not-in-snapshot")!.calls).toBe(0);
    const findings = rows("trust-findings");
    expect(findings.find((f) => f.kind === "succeeded-but-not-allowed")!.caller).toBe(
      "arn:aws:iam::777788889999:user/dev-jenkins",
    );
    expect(findings.some((f) => f.kind === "denied-attempts" && f.severity === "high")).toBe(true);
  });

  it("is one self-contained HTML file that shows the SQL of every table", () => {
    const html = readFileSync(written.html, "utf8");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=/i);
    expect(html).not.toMatch(/\b(?:href|src)="(?:https?:)?\/\//i);
    expect(html).toContain("Content-Security-Policy");
    for (const table of written.report.sections.flatMap((s) => s.tables)) {
      expect(html, table.id).toContain(`id="table-${table.id}"`);
      for (const s of table.sql) expect(html, table.id).toContain(escapeHtml(s.sql.trim()));
    }
    // Several inline SVGs: their ids are kept apart.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

const chromium = findChromium();
if (!chromium) {
  // CI installs Chromium (.ci/run); elsewhere the browser check is skipped, visibly.
  if (process.env.CI) throw new Error("Chromium is missing on CI: .ci/run should install it");
  console.warn(
    "report.test.ts: Chromium not found (apt-get install chromium): browser check skipped",
  );
}

interface PageFacts {
  title: string;
  svgs: { width: number; height: number; texts: number; textWidth: number; marks: number }[];
  tables: { id: string; rows: number }[];
  sections: string[];
}

const FACTS = `(() => ({
  title: document.title,
  svgs: [...document.querySelectorAll("figure > svg")].map((s) => {
    const box = s.getBoundingClientRect();
    const texts = [...s.querySelectorAll("text")];
    return {
      width: box.width,
      height: box.height,
      texts: texts.length,
      textWidth: texts.reduce((w, t) => w + t.getComputedTextLength(), 0),
      marks: s.querySelectorAll("path, rect, line").length,
    };
  }),
  tables: [...document.querySelectorAll(".report-table")].map((d) => ({
    id: d.id,
    rows: d.querySelectorAll("tbody tr:not(:has(td.empty))").length,
  })),
  sections: [...document.querySelectorAll("main > section")].map((s) => s.id),
}))()`;

describe.skipIf(!chromium)("the report in headless Chromium", () => {
  it("renders its charts and tables without errors or network requests", async () => {
    const url = pathToFileURL(written.html).href;
    const page = await inspectPage<PageFacts>(url, FACTS, {
      screenshot: !!process.env.TRAILBOOK_SCREENSHOT,
    });
    if (page.screenshot) writeFileSync(process.env.TRAILBOOK_SCREENSHOT!, page.screenshot);
    expect(page.exceptions).toEqual([]);
    expect(page.console.filter((m) => m.type === "error" || m.type === "warning")).toEqual([]);
    expect(page.log.filter((l) => l.level === "error" || l.level === "warning")).toEqual([]);
    expect(page.failedRequests).toEqual([]);
    // Nothing but the page itself is loaded.
    expect(page.requests).toEqual([url]);

    const report = written.report;
    expect(page.value.title).toBe(report.title);
    expect(page.value.sections).toEqual(report.sections.map((s) => s.id));
    const charts = report.sections.flatMap((s) => s.charts);
    expect(page.value.svgs).toHaveLength(charts.length);
    for (const svg of page.value.svgs) {
      expect(svg.width).toBeGreaterThan(200);
      expect(svg.height).toBeGreaterThan(100);
      expect(svg.texts).toBeGreaterThan(5);
      expect(svg.textWidth).toBeGreaterThan(100);
      expect(svg.marks).toBeGreaterThan(5);
    }
    const tables = report.sections.flatMap((s) => s.tables);
    expect(page.value.tables.map((t) => t.id)).toEqual(tables.map((t) => `table-${t.id}`));
    for (const [i, t] of tables.entries()) {
      expect(page.value.tables[i]!.rows, t.id).toBe(Math.min(t.rows.length, 200));
    }
  });
});

describe("writeReport's folder", () => {
  /** What writeReport throws for `out`, or null when it writes. */
  async function refusal(out: string): Promise<ReportOutputError | null> {
    const c = await openCase(db);
    try {
      await writeReport(c, out, { pngScale: 1 });
      return null;
    } catch (e) {
      if (e instanceof ReportOutputError) return e;
      throw e;
    } finally {
      c.close();
    }
  }

  it("refuses a folder that is not a report, or a file, with a code and the path as given", async () => {
    const folder = join(dir, "library-notes");
    mkdirSync(folder);
    writeFileSync(join(folder, "notes.txt"), "mine");
    const notReport = await refusal(folder);
    expect(notReport?.code).toBe("not-a-report-folder");
    expect(notReport?.path).toBe(folder);
    expect(notReport?.message).toContain(folder);
    expect(readFileSync(join(folder, "notes.txt"), "utf8")).toBe("mine");

    const file = join(dir, "library-file");
    writeFileSync(file, "mine");
    const notFolder = await refusal(file);
    expect(notFolder?.code).toBe("not-a-folder");
    expect(notFolder?.path).toBe(file);
    expect(readFileSync(file, "utf8")).toBe("mine");
    // Library messages describe the folder; command-line options are the CLI's to name.
    for (const e of [notReport, notFolder]) expect(e?.message).not.toMatch(/--/);
  });
});

describe("trailbook report (CLI)", () => {
  it("writes the report for a time range and says where it is", async () => {
    const out = join(dir, "range");
    const r = await cli(
      "report",
      "--db",
      db,
      "--out",
      out,
      "--allowed-regions",
      "us-east-1,us-west-2",
      "--from",
      "2026-10-26",
      "--to",
      "2026-10-28",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Report written to ${join(out, "report.html")}`);
    const span = parseCsv(readFileSync(join(out, "tables/scope-span.csv"), "utf8"));
    const c = await openCase(db);
    try {
      const { rows } = await c.sql<{ n: number }>(
        "SELECT count(*) AS n FROM events WHERE event_time >= '2026-10-26T00:00:00Z' AND event_time < '2026-10-28T00:00:00Z'",
      );
      expect(Number(span[1]![0])).toBe(rows[0]!.n);
    } finally {
      c.close();
    }
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("2026-10-26T00:00:00.000Z to 2026-10-28T00:00:00.000Z");
  });

  it("writes a report without allowed regions or IAM snapshots, saying what it leaves out", async () => {
    const out = join(dir, "plain");
    const r = await cli("report", "--db", noIam, "--out", out);
    expect(r.code).toBe(0);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("No allowed regions were given");
    expect(html).not.toContain('id="sts-outside"');
    expect(html).toContain("No IAM snapshot is in the case");
    // The assumptions are still listed, each marked as not checked.
    const verdicts = parseCsv(readFileSync(join(out, "tables/trust-verdicts.csv"), "utf8"));
    const notChecked = verdicts.find((v) => v[0] === "role-not-in-snapshot")!;
    expect(Number(notChecked[1])).toBeGreaterThan(0);
  });

  it("replaces a previous report, and refuses a folder that is not one", async () => {
    const out = join(dir, "again");
    expect((await cli("report", "--db", db, "--out", out)).code).toBe(0);
    writeFileSync(join(out, "tables", "stale.csv"), "x\r\n");
    const first = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    // A stale file listed by the old manifest goes; the report is written anew.
    first.files.push({ path: "tables/stale.csv", bytes: 3, sha256: "" });
    writeFileSync(join(out, "manifest.json"), JSON.stringify(first));
    expect((await cli("report", "--db", db, "--out", out, "--from", "2026-10-27")).code).toBe(0);
    expect(existsSync(join(out, "tables", "stale.csv"))).toBe(false);

    const other = join(dir, "other");
    mkdirSync(other);
    writeFileSync(join(other, "notes.txt"), "mine");
    const r = await cli("report", "--db", db, "--out", other);
    expect(r.code).toBe(2);
    // The CLI names its option; the library's message and code follow.
    expect(r.err).toBe(
      `trailbook: --out: cannot write a report to ${other}: the folder holds files and no ` +
        "manifest.json, so it is not a previous trailbook report; a report goes to a new or " +
        "empty folder, or replaces a previous report [not-a-report-folder]\n",
    );
    expect(readFileSync(join(other, "notes.txt"), "utf8")).toBe("mine");
    const file = join(dir, "a-file");
    writeFileSync(file, "mine");
    const onFile = await cli("report", "--db", db, "--out", file);
    expect(onFile.code).toBe(2);
    expect(onFile.err).toMatch(
      /^trailbook: --out: cannot write a report to .*a-file: it is a file/,
    );
    expect(onFile.err).toMatch(/\[not-a-folder\]\n$/);
    expect(readFileSync(file, "utf8")).toBe("mine");
  });

  it("reports input errors as usage errors (2) and an unusable case file as 4", async () => {
    const bad = await cli("report", "--db", db, "--out", join(dir, "bad"), "--from", "yesterday");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/"yesterday" is not a time/);
    expect(existsSync(join(dir, "bad"))).toBe(false);
    const scp = await cli("report", "--db", db, "--out", join(dir, "bad"), "--scp", "missing.json");
    expect(scp.code).toBe(2);
    const missing = await cli("report", "--db", join(dir, "none.duckdb"), "--out", join(dir, "x"));
    expect(missing.code).toBe(4);
  });
});
