/**
 * The two windows of a baseline run: the baseline (what an actor normally does) and the
 * detection window (what is scored against it). Both are half-open, [from, to), in UTC.
 */

/** An option a user can fix: the field and the value that was wrong. */
export class BaselineOptionError extends Error {
  constructor(
    readonly code: "invalid-time" | "invalid-window" | "conflicting-options" | "invalid-number",
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

// A date, or a date and time; without a zone designator the time is UTC (never local time:
// CloudTrail times are UTC, and a responder's laptop zone must not shift the window).
const TIME_PATTERN =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses a time option; a string without a zone is UTC. */
export function parseTime(field: string, value: TimeInput): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new BaselineOptionError("invalid-time", field, value, `${field} is not a valid time`);
    }
    return value;
  }
  const m = TIME_PATTERN.exec(value.trim());
  const parsed = m
    ? new Date(`${m[1]}T${m[2] ?? "00:00"}${m[3] ? normaliseZone(m[3]) : "Z"}`)
    : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) {
    throw new BaselineOptionError(
      "invalid-time",
      field,
      value,
      `${field} ${JSON.stringify(value)} is not a time; use ISO 8601, e.g. 2026-10-26 or 2026-10-26T03:00:00Z`,
    );
  }
  return parsed;
}

function normaliseZone(zone: string): string {
  if (zone.toUpperCase() === "Z") return "Z";
  return zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

/**
 * Resolves and checks the windows. `lastEventTime` (the case's latest event) supplies the
 * detection window's end when none is given.
 */
export function resolveWindows(
  options: WindowOptions,
  lastEventTime: Date | null,
): BaselineWindows {
  const detectFrom = parseTime("detectFrom", options.detectFrom);
  let detectTo: Date;
  if (options.detectTo !== undefined) detectTo = parseTime("detectTo", options.detectTo);
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
    baselineFrom = parseTime("baselineFrom", options.baselineFrom);
    baselineTo = parseTime("baselineTo", options.baselineTo);
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
