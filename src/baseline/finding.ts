/**
 * What a baseline run returns: findings (each resting on event ids), the stories they group into,
 * the actors too new to judge, and what suppression rules took out.
 *
 * These types are the baseline's public contract (charts, reports and notebooks read them):
 * fields are only ever added, never renamed or removed. Times are ISO 8601 strings in UTC.
 */

/**
 * The kinds of finding, one per question a responder asks of a principal's history:
 * - `new-*`: a value of a field (or a combination of fields) the actor never used in the
 *   baseline (first-seen);
 * - `volume-hourly`, `volume-daily`: far more calls of one event family in an hour or a day than
 *   the actor's median for that family;
 * - `unusual-hour`: activity at an hour of the day (UTC) the actor never acted at.
 */
export const FINDING_KINDS = [
  "new-region",
  "new-source-prefix",
  "new-source-ip",
  "new-user-agent-family",
  "new-user-agent-version",
  "new-event-name",
  "new-error-code",
  "new-combination",
  "volume-hourly",
  "volume-daily",
  "unusual-hour",
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export function isFindingKind(value: string): value is FindingKind {
  return (FINDING_KINDS as readonly string[]).includes(value);
}

/** What the detection window is compared with, for one finding. */
export interface FindingBaseline {
  /** One line, e.g. "regions seen in the 21-day baseline: us-east-1, us-west-2". */
  summary: string;
  /** Days of the baseline on which the actor acted. */
  activeDays: number;
  /** For first-seen kinds: the values the baseline holds (capped), and how many there are. */
  values?: string[];
  valueCount?: number;
  /** For volume kinds: the median and median absolute deviation of the counts, per period. */
  median?: number;
  mad?: number;
  /** For volume kinds: how many hours (or days) the median is taken over. */
  periods?: number;
}

/** What was seen in the detection window. */
export interface FindingObserved {
  summary: string;
  /** The new value (first-seen), the event family (volume), or the hour of day (unusual-hour). */
  value: string;
  /** Events with that value (first-seen, unusual-hour) or in the busiest period (volume). */
  count: number;
  /** For volume kinds: the robust z-score of the count against the baseline. */
  z?: number;
  /** For new-source-prefix: the new addresses in it (capped). */
  addresses?: string[];
  /** For new-combination: the fields whose values are new to the actor on their own too. */
  newParts?: string[];
}

/** One thing an actor did in the detection window that its baseline does not explain. */
export interface Finding {
  /** `f-` and 12 hex digits; stable for the same case, windows and options. */
  id: string;
  /**
   * Who: the case's `actor` key, as `events.actor` holds it (store/actor.ts: the issuing role of an
   * assumed-role session, the ARN of other identities, `account:<id>`, `saml:<principalId>`,
   * `web-identity:<principalId>`...), so it selects the same principal in a timeline or filter.
   * Titles show it shortened by `actorLabel`.
   */
  actor: string;
  kind: FindingKind;
  /**
   * The field the finding is about, as suppression rules name it: region, source_ip,
   * source_prefix, user_agent_family, user_agent_version, event_name, error_code, a combination
   * like `region+event_name`, hour_of_day, or volume.
   */
  field: string;
  /** The value a suppression rule's `value` glob is matched against. */
  value: string;
  /** Ranks findings across kinds: about 3 is "look at this", 1 the weakest reported (score.ts). */
  score: number;
  /** One line: the short actor and what is new or abnormal. */
  title: string;
  /** Sentences naming the actor, what was observed, and the baseline it is compared with. */
  explanation: string;
  baseline: FindingBaseline;
  observed: FindingObserved;
  /** ISO times (UTC) of the first and last event the finding rests on. */
  firstSeen: string;
  lastSeen: string;
  /** The event ids it rests on, earliest first, at most `eventIdLimit` of them. */
  eventIds: string[];
  /** How many events it rests on (eventIds may list fewer). */
  eventCount: number;
  /** The id of the story (group) this finding belongs to. */
  group: string;
}

/** Findings of one actor close together in time: one incident to read, not many rows. */
export interface Story {
  /** `s-` and 12 hex digits, from the actor and the story's start. */
  id: string;
  actor: string;
  /** Combined score of its findings, the strongest counting fully (score.ts, combinedScore). */
  score: number;
  /** The short actor and its strongest findings. */
  title: string;
  firstSeen: string;
  lastSeen: string;
  /** The kinds of its findings, strongest first. */
  kinds: FindingKind[];
  /** Its findings' ids, strongest first. */
  findingIds: string[];
  /** Distinct events of the actor between firstSeen and lastSeen (all of them, not only flagged). */
  eventCount: number;
  /** The union of the findings' event ids, earliest first, capped like a finding's. */
  eventIds: string[];
}

/** An actor active in the detection window with too little baseline to be judged. */
export interface InsufficientHistoryActor {
  actor: string;
  /** Days of the baseline on which it acted (fewer than `minHistoryDays`). */
  baselineDays: number;
  baselineEvents: number;
  detectionEvents: number;
  firstSeen: string;
  lastSeen: string;
  eventIds: string[];
}

/** One statement the run executed, with its bound parameters, in order. */
export interface ExecutedSql {
  label: string;
  sql: string;
  params: Record<string, unknown>;
  /** Wall-clock milliseconds it took. */
  ms: number;
}
