#!/usr/bin/env node
// The installed command: runs the compiled CLI. `npm ci` builds dist/ through the prepare script.
import { main } from "../dist/cli/main.js";

// A reader that stops early (`trailbook ... | head`) closes the pipe: that is not an error.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv);
