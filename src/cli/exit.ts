/** Exit statuses, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** Something went wrong that is not the input's fault (a bug, a disk error). */
  failure: 1,
  /** The command line was wrong (unknown option, missing argument, bad value). */
  usage: 2,
  /** The load finished, but some files were quarantined. */
  quarantined: 3,
  /** The case file could not be opened (missing, locked by another process, newer schema). */
  caseFile: 4,
  /** A check the command makes failed (`sts controls`: the alarm and the query disagree). */
  checkFailed: 5,
} as const;

export interface ExitStatus {
  code: number;
}

/** A mistake on the command line the user can fix. */
export class UsageError extends Error {
  readonly code = "usage";
}
