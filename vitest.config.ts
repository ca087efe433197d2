import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // DuckDB and the reader workers use both cores; parallel test files would fight over them.
    fileParallelism: false,
  },
});
