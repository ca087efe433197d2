import { spawn, type ChildProcess } from "node:child_process";
import { ROOT } from "./sample-case.js";

/**
 * Starts a separate Node process that opens the case file read-write with DuckDB (as a notebook
 * kernel or an ingest would) and keeps it open until killed. Resolves once the file is held.
 */
export function holdCase(db: string): Promise<ChildProcess> {
  const script = `
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(process.argv[1]);
    const connection = await instance.connect();
    process.stdout.write("held\\n");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, db], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d) => (err += String(d)));
    child.stdout!.on("data", (d) => {
      if (String(d).includes("held")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`holder exited ${code}: ${err}`)));
  });
}
