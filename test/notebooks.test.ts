import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The notebooks themselves run in `npm test` after vitest (scripts/run-notebooks.mjs, on the
// tslab kernel); these checks keep what is committed clean and runnable.
const dir = "notebooks";
const notebooks = readdirSync(dir).filter((f) => f.endsWith(".ipynb"));

interface Cell {
  cell_type: string;
  id?: string;
  source: string[];
  outputs?: unknown[];
  execution_count?: number | null;
}

describe("committed notebooks", () => {
  it("exist: start here, STS-region triage, baseline review, trust-policy audit", () => {
    expect(notebooks).toEqual(
      expect.arrayContaining([
        "00-start-here.ipynb",
        "01-sts-region-triage.ipynb",
        "02-baseline-review.ipynb",
        "03-trust-policy-audit.ipynb",
      ]),
    );
  });

  for (const file of notebooks) {
    it(`${file}: tslab kernel, no outputs, imports the toolkit by its package name`, () => {
      const nb = JSON.parse(readFileSync(join(dir, file), "utf8"));
      expect(nb.nbformat).toBe(4);
      expect(nb.metadata.kernelspec.name).toBe("tslab");
      const cells = nb.cells as Cell[];
      for (const cell of cells) {
        expect(cell.id, "cells carry ids (nbformat 4.5)").toBeTruthy();
        if (cell.cell_type !== "code") continue;
        expect(cell.outputs).toEqual([]);
        expect(cell.execution_count ?? null).toBeNull();
      }
      const code = cells
        .filter((c) => c.cell_type === "code")
        .map((c) => c.source.join(""))
        .join("\n");
      expect(code).toMatch(/from "trailbook"/);
      expect(code).not.toMatch(/from "\.\.?\//);
      // Reads as an investigation: questions in the prose, a chart and a table shown.
      const prose = cells
        .filter((c) => c.cell_type === "markdown")
        .map((c) => c.source.join(""))
        .join("\n");
      expect(prose).toMatch(/question/i);
      expect(code).toMatch(/show\.chart\(/);
      expect(code).toMatch(/show\.table\(/);
    });
  }

  it("the kernel spec runs tslab with the connection file", () => {
    const spec = JSON.parse(readFileSync("jupyter/kernels/tslab/kernel.json", "utf8"));
    expect(spec.argv).toEqual(["tslab", "kernel", "--config-path", "{connection_file}"]);
  });
});
