/**
 * The region-lock options `sts outside` and `report` share: the allowed regions, the SCP and the
 * organization it is attached in, read (files included) before any work starts.
 */
import type { Command } from "commander";
import { splitList } from "../query/filters.js";
import { readOptionFile } from "./options.js";

export interface RegionLockFlags {
  allowedRegions?: string;
  scp?: string;
  organization?: string;
}

/** What the library takes for a region lock (see `StsOutsideOptions` and `ReportOptions`). */
export interface RegionLockInputs {
  allowedRegions?: string[];
  policy?: string;
  policyFile?: string;
  organization?: string;
  organizationFile?: string;
}

/** Adds --allowed-regions, --scp and --organization to a command. */
export function addRegionLockOptions(cmd: Command): Command {
  return cmd
    .option("--allowed-regions <regions>", "comma-separated, e.g. us-east-1,us-west-2")
    .option("--scp <file>", "a region-lock policy: a full SCP or a bare statement")
    .option(
      "--organization <file>",
      "aws organizations list-accounts output (with describe-organization merged in): who the SCP governs",
    );
}

/** The options as the library takes them, with the files they name read. */
export function regionLockInputs(opts: RegionLockFlags): RegionLockInputs {
  const allowedRegions = splitList(opts.allowedRegions);
  return {
    ...(allowedRegions ? { allowedRegions } : {}),
    ...(opts.scp ? { policy: readOptionFile("--scp", opts.scp), policyFile: opts.scp } : {}),
    ...(opts.organization
      ? {
          organization: readOptionFile("--organization", opts.organization),
          organizationFile: opts.organization,
        }
      : {}),
  };
}
