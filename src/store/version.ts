/** Written into every ingest run, so a case file says which trailbook built it. */
export const TOOL_VERSION = "0.1.0";
