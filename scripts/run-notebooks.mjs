#!/usr/bin/env node
// Runs every notebook in notebooks/ headless on the tslab kernel (Jupyter's nbconvert) and fails
// on any cell error. The executed copies are kept in .notebooks-out/ (ignored by git) so that a
// failure can be read there. Jupyter's state stays inside the project: the kernel spec is found
// through JUPYTER_PATH, and config, data and runtime files go to .notebooks-out/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, delimiter, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const notebooksDir = join(root, "notebooks");
const outDir = join(root, ".notebooks-out");
const SENTINEL = "trailbook: notebook ran to the end";

const jupyter = ["/usr/bin/jupyter", "jupyter"].find((j) => {
  const probe = spawnSync(j, ["nbconvert", "--version"], { encoding: "utf8" });
  return probe.status === 0;
});
if (!jupyter) {
  process.stderr.write(
    "run-notebooks: Jupyter's nbconvert was not found. Install it from Debian (as .ci/run does):\n" +
      "  apt-get install --no-install-recommends jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel\n",
  );
  process.exit(1);
}
if (!existsSync(join(root, "dist", "index.js"))) {
  process.stderr.write("run-notebooks: dist/ is not built; run npm run build first\n");
  process.exit(1);
}

const only = process.argv.slice(2);
const notebooks = readdirSync(notebooksDir)
  .filter((f) => f.endsWith(".ipynb"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
if (notebooks.length === 0) {
  process.stderr.write("run-notebooks: no notebook to run\n");
  process.exit(1);
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const env = {
  ...process.env,
  JUPYTER_PATH: join(root, "jupyter"),
  JUPYTER_CONFIG_DIR: join(outDir, "config"),
  JUPYTER_DATA_DIR: join(outDir, "data"),
  JUPYTER_RUNTIME_DIR: join(outDir, "runtime"),
  // nbconvert imports IPython, which otherwise creates ~/.ipython.
  IPYTHONDIR: join(outDir, "ipython"),
  // The kernel spec runs `tslab` from the project's node_modules.
  PATH: [join(root, "node_modules", ".bin"), process.env.PATH].join(delimiter),
  // The notebooks write their scratch case files here rather than in the system temp folder.
  TRAILBOOK_NOTEBOOK_TMP: join(outDir, "cases"),
};

let failed = 0;
for (const file of notebooks) {
  const name = basename(file, ".ipynb");
  const started = Date.now();
  // tslab skips the cells queued after a failing one without reporting them; a last cell that
  // prints a sentinel shows that every cell before it ran.
  const nb = JSON.parse(readFileSync(join(notebooksDir, file), "utf8"));
  nb.cells.push({
    cell_type: "code",
    id: "trailbook-sentinel",
    metadata: {},
    execution_count: null,
    outputs: [],
    source: `console.log(${JSON.stringify(SENTINEL)});`,
  });
  // The copy sits beside the original so that the kernel's working folder is notebooks/.
  const input = join(notebooksDir, `.${name}.run.ipynb`);
  writeFileSync(input, JSON.stringify(nb, null, 1));
  const run = spawnSync(
    jupyter,
    [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--allow-errors",
      "--ExecutePreprocessor.kernel_name=tslab",
      "--ExecutePreprocessor.timeout=300",
      "--output-dir",
      outDir,
      "--output",
      `${name}.ipynb`,
      input,
    ],
    { cwd: root, env, encoding: "utf8" },
  );
  rmSync(input, { force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const problems = [];
  if (run.status !== 0) problems.push(`nbconvert exited ${run.status}: ${run.stderr.trim()}`);
  else {
    const done = JSON.parse(readFileSync(join(outDir, `${name}.ipynb`), "utf8"));
    let finished = false;
    done.cells.forEach((cell, i) => {
      for (const out of cell.outputs ?? []) {
        const text = [].concat(out.text ?? []).join("");
        if (out.output_type === "error") {
          problems.push(`cell ${i + 1}: ${out.ename}: ${out.evalue}`);
        } else if (out.output_type === "stream" && out.name === "stderr") {
          problems.push(`cell ${i + 1} wrote to stderr:\n${text.trim()}`);
        } else if (out.output_type === "stream" && text.includes(SENTINEL)) {
          finished = true;
        }
      }
    });
    if (!finished && problems.length === 0)
      problems.push("the notebook stopped before its last cell");
  }
  if (problems.length) {
    failed++;
    process.stdout.write(`FAIL ${file} (${seconds} s)\n`);
    for (const p of problems) process.stdout.write(`  ${p.replaceAll("\n", "\n  ")}\n`);
    process.stdout.write(`  executed copy: ${join(outDir, `${name}.ipynb`)}\n`);
  } else {
    process.stdout.write(`ok   ${file} (${seconds} s)\n`);
  }
}
process.stdout.write(`notebooks: ${notebooks.length - failed} passed, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
