import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// The README's main command: npm run demo (scripts/demo.mjs, over the built dist/).
describe("npm run demo", () => {
  const dir = mkdtempSync(join(tmpdir(), "trailbook-demo-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the sample, writes the report, says where it is, and exits 0 despite the quarantined files", () => {
    const db = join(dir, "case.duckdb");
    const out = join(dir, "report");
    const run = () =>
      spawnSync(process.execPath, ["scripts/demo.mjs", "--db", db, "--out", out], {
        encoding: "utf8",
      });
    const first = run();
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("4 quarantined");
    expect(first.stdout).toContain("Quarantined: 4 files - the ones the sample breaks on purpose.");
    expect(first.stdout).toMatch(/Stored 5 IAM snapshots/);
    expect(first.stdout).toMatch(
      /Trust policies: \d+ high-severity findings:\n {2}- .*dev-jenkins/,
    );
    expect(first.stdout).toMatch(/Report: .*report\.html/);
    expect(existsSync(join(out, "report.html"))).toBe(true);
    expect(existsSync(join(out, "charts", "sts-regions.png"))).toBe(true);
    // Again over the same case: nothing new is loaded, the report is rewritten, still 0.
    const second = run();
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("Events: 0 loaded");
    expect(second.stdout).toContain("Nothing new for");
  });
});
