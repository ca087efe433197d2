/**
 * The two windows of a baseline run: the baseline (what an actor normally does) and the
 * detection window (what is scored against it). Both are half-open, [from, to), in UTC.
 */
import { parseTime, QueryOptionsError } from "../query/filters.js";

export const BASELINE_OPTION_ERROR_CODES = [
  "invalid-time",
  "invalid-window",
  "conflicting-options",
  "invalid-number",
  "invalid-field",
  "invalid-value",
] as const;
export type BaselineOptionErrorCode = (typeof BASELINE_OPTION_ERROR_CODES)[number];

/**
 * An option a user can fix: `field` names it as the API spells it (`detectFrom`, `fields`),
 * `value` is what was given, `code` says what kind of mistake it is.
 */
export class BaselineOptionError extends Error {
  constructor(
    readonly code: BaselineOptionErrorCode,
    readonly field: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
    this.name = "BaselineOptionError";
  }
}

export type TimeInput = string | Date;

export interface WindowOptions {
  /** Start of the detection window. */
  detectFrom: TimeInput;
  /** End of the detection window (exclusive). Default: just after the case's last event. */
  detectTo?: TimeInput;
  /** The baseline is the N days before detectFrom (default 21), unless from/to are given. */
  baselineDays?: number;
  baselineFrom?: TimeInput;
  baselineTo?: TimeInput;
}

export interface Window {
  /** ISO 8601, UTC. */
  from: string;
  to: string;
}

export interface BaselineWindows {
  baseline: Window & { days: number };
  detection: Window;
}

export const DEFAULT_BASELINE_DAYS = 21;
const DAY_MS = 86_400_000;

/**
 * A time option, read by the query layer's parser (ISO 8601; a time without a zone is UTC,
 * never the machine's zone), with a bad value reported as a baseline option error.
 */
function time(field: string, value: TimeInput): Date {
  try {
    return parseTime(value, field);
  } catch (e) {
    if (e instanceof QueryOptionsError) {
      throw new BaselineOptionError("invalid-time", field, value, e.message);
    }
    throw e;
  }
}

/**
 * Resolves and checks the windows. `lastEventTime` (the case's latest event) supplies the
 * detection window's end when none is given.
 */
export function resolveWindows(
  options: WindowOptions,
  lastEventTime: Date | null,
): BaselineWindows {
  const detectFrom = time("detectFrom", options.detectFrom);
  let detectTo: Date;
  if (options.detectTo !== undefined) detectTo = time("detectTo", options.detectTo);
  else if (lastEventTime && lastEventTime.getTime() >= detectFrom.getTime()) {
    detectTo = new Date(lastEventTime.getTime() + 1);
  } else detectTo = new Date(detectFrom.getTime() + DAY_MS);
  if (detectTo.getTime() <= detectFrom.getTime()) {
    throw new BaselineOptionError(
      "invalid-window",
      "detectTo",
      options.detectTo,
      `the detection window ends (${detectTo.toISOString()}) before it starts (${detectFrom.toISOString()})`,
    );
  }

  const explicit = options.baselineFrom !== undefined || options.baselineTo !== undefined;
  if (explicit && options.baselineDays !== undefined) {
    throw new BaselineOptionError(
      "conflicting-options",
      "baselineDays",
      options.baselineDays,
      "give either baselineDays or baselineFrom/baselineTo, not both",
    );
  }
  let baselineFrom: Date;
  let baselineTo: Date;
  if (explicit) {
    if (options.baselineFrom === undefined || options.baselineTo === undefined) {
      const missing = options.baselineFrom === undefined ? "baselineFrom" : "baselineTo";
      throw new BaselineOptionError(
        "conflicting-options",
        missing,
        undefined,
        "baselineFrom and baselineTo go together",
      );
    }
    baselineFrom = time("baselineFrom", options.baselineFrom);
    baselineTo = time("baselineTo", options.baselineTo);
  } else {
    const days = options.baselineDays ?? DEFAULT_BASELINE_DAYS;
    if (!Number.isInteger(days) || days <= 0 || days > 3660) {
      throw new BaselineOptionError(
        "invalid-number",
        "baselineDays",
        days,
        `baselineDays must be a whole number of days from 1 to 3660, got ${String(days)}`,
      );
    }
    baselineTo = detectFrom;
    baselineFrom = new Date(detectFrom.getTime() - days * DAY_MS);
  }
  if (baselineTo.getTime() <= baselineFrom.getTime()) {
    throw new BaselineOptionError(
      "invalid-window",
      "baselineTo",
      options.baselineTo,
      `the baseline ends (${baselineTo.toISOString()}) before it starts (${baselineFrom.toISOString()})`,
    );
  }
  // An overlap would put the suspicious activity into its own baseline and hide it.
  if (baselineTo.getTime() > detectFrom.getTime()) {
    throw new BaselineOptionError(
      "invalid-window",
      "baselineTo",
      options.baselineTo,
      `the baseline (to ${baselineTo.toISOString()}) overlaps the detection window (from ${detectFrom.toISOString()})`,
    );
  }
  return {
    baseline: {
      from: baselineFrom.toISOString(),
      to: baselineTo.toISOString(),
      days: Math.round(((baselineTo.getTime() - baselineFrom.getTime()) / DAY_MS) * 10) / 10,
    },
    detection: { from: detectFrom.toISOString(), to: detectTo.toISOString() },
  };
}
