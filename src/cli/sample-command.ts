import type { Command } from "commander";
import type { ExitStatus } from "./exit.js";

export function registerSample(program: Command, _status: ExitStatus): void {
  program
    .command("sample")
    .description("write the bundled sample evidence (deterministic) into a folder")
    .argument("<dir>", "where to write it (e.g. sample-data)")
    .option("--seed <n>", "generator seed", "1")
    .action(async (dir: string, opts: { seed: string }) => {
      const { writeSampleData } = await import("../sample/index.js");
      const result = await writeSampleData({ outDir: dir, seed: Number(opts.seed) });
      process.stdout.write(
        `Wrote ${result.files} files with ${result.events} events into ${dir}\n`,
      );
    });
}
