/**
 * Turns the rows the SQL found into findings a responder can read: a title, an explanation that
 * names the baseline compared with, and a score.
 */
import { createHash } from "node:crypto";
import type { Finding, FindingKind } from "./finding.js";
import { fieldNoun, isFirstSeenField, type FirstSeenRow, type TermSpec } from "./first-seen.js";
import type { HourRow } from "./hours.js";
import { firstSeenScore, hourScore, volumeScore } from "./score.js";
import type { VolumePeriod, VolumeRow } from "./volume.js";
import { actorLabel } from "../store/actor.js";

function findingId(kind: FindingKind, field: string, actor: string, value: string, at: string) {
  const h = createHash("sha256").update(
    `${kind}\u0000${field}\u0000${actor}\u0000${value}\u0000${at}`,
  );
  return `f-${h.digest("hex").slice(0, 12)}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function span(first: string, last: string): string {
  return first === last ? `at ${first}` : `from ${first} to ${last}`;
}

function listed(values: string[], total: number): string {
  const more = total > values.length ? ` (and ${total - values.length} more)` : "";
  return values.join(", ") + more;
}

export function firstSeenFinding(term: TermSpec, row: FirstSeenRow, baselineDays: number): Finding {
  const k = Number(row.baseline_value_count);
  const days = Number(row.baseline_days);
  const n = Number(row.n);
  const total = Number(row.total);
  const bursts = Number(row.bursts);
  const summary =
    k === 0
      ? `no ${term.nounPlural} in the ${baselineDays}-day baseline (active on ${plural(days, "day")})`
      : `${term.nounPlural} seen in the ${baselineDays}-day baseline (active on ${plural(days, "day")}): ${listed(row.baseline_values, k)}`;
  const later =
    total > n
      ? `; used again later: ${plural(total - n, "more event")} in ${plural(bursts - 1, "more burst")}`
      : "";
  const addresses = row.addresses?.length ? ` (addresses: ${row.addresses.join(", ")})` : "";
  const what = `${term.noun} ${row.value}`;
  const newParts = row.new_parts ?? [];
  const alsoNew = newParts.length
    ? ` (new on their own too: ${newParts.map((p) => (isFirstSeenField(p) ? fieldNoun(p) : p)).join(", ")})`
    : "";
  const observed = `${plural(n, "event")} with ${what}${addresses}${alsoNew} ${span(row.first_seen, row.last_seen)}${later}`;
  return {
    id: findingId(term.kind, term.field, row.actor, row.value, row.first_seen),
    actor: row.actor,
    kind: term.kind,
    field: term.field,
    value: row.value,
    score: firstSeenScore(term.kind, k, days, newParts.length / term.parts.length),
    title: `${actorLabel(row.actor)}: new ${what}`,
    explanation: `${row.actor} used ${what} for the first time: ${observed}. Compared with ${summary}.`,
    baseline: {
      summary,
      activeDays: days,
      values: row.baseline_values,
      valueCount: k,
    },
    observed: {
      summary: observed,
      value: row.value,
      count: n,
      ...(row.addresses?.length ? { addresses: row.addresses } : {}),
      ...(newParts.length ? { newParts } : {}),
    },
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    eventIds: row.event_ids,
    eventCount: n,
    group: "",
  };
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

export function volumeFinding(
  period: VolumePeriod,
  row: VolumeRow,
  minZ: number,
  baselineDays: number,
): Finding {
  const kind = period === "hour" ? "volume-hourly" : "volume-daily";
  const days = Number(row.baseline_days);
  const n = Number(row.n);
  const z = Number(row.z);
  const summary =
    `${row.event_family} calls per ${period} over ${plural(Number(row.periods), period)} of ` +
    `${plural(days, "active day")} in the ${baselineDays}-day baseline: median ${num(Number(row.median))}, ` +
    `MAD ${num(Number(row.mad))}, most ${num(Number(row.baseline_max))}`;
  const unit = period === "hour" ? "the hour" : "the day";
  const observed = `${plural(n, "call")} in ${unit} from ${row.period} (robust z ${z.toFixed(1)}), ${span(row.first_seen, row.last_seen)}`;
  return {
    id: findingId(kind, "volume", row.actor, row.event_family, row.period),
    actor: row.actor,
    kind,
    field: "volume",
    value: row.event_family,
    score: volumeScore(kind, z, minZ, days),
    title: `${actorLabel(row.actor)}: ${n} ${row.event_family} calls in one ${period}`,
    explanation: `${row.actor} made ${observed}. Compared with ${summary}.`,
    baseline: {
      summary,
      activeDays: days,
      median: Number(row.median),
      mad: Number(row.mad),
      periods: Number(row.periods),
    },
    observed: { summary: observed, value: row.event_family, count: n, z: Math.round(z * 10) / 10 },
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    eventIds: row.event_ids,
    eventCount: n,
    group: "",
  };
}

/** Hours of day as ranges: [0,1,2,9,10] -> "00-02, 09-10". */
export function hourRanges(hours: number[]): string {
  const sorted = [...new Set(hours)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const a = String(sorted[i]).padStart(2, "0");
    const b = String(sorted[j]).padStart(2, "0");
    out.push(i === j ? a : `${a}-${b}`);
    i = j + 1;
  }
  return out.join(", ");
}

export function hourFinding(row: HourRow, baselineDays: number): Finding {
  const days = Number(row.baseline_days);
  const n = Number(row.n);
  const hour = `${String(row.hour_of_day).padStart(2, "0")}:00 UTC`;
  const hours = row.baseline_hours.map(Number);
  const summary = `hours of day (UTC) active in the ${baselineDays}-day baseline (active on ${plural(days, "day")}): ${hourRanges(hours)}`;
  const observed = `${plural(n, "event")} in the hour of ${hour}, ${span(row.first_seen, row.last_seen)}, ${plural(Number(row.distance), "hour")} from the nearest usual hour`;
  return {
    id: findingId("unusual-hour", "hour_of_day", row.actor, String(row.hour_of_day), row.period),
    actor: row.actor,
    kind: "unusual-hour",
    field: "hour_of_day",
    value: String(row.hour_of_day),
    score: hourScore(Number(row.distance), days),
    title: `${actorLabel(row.actor)}: active at ${hour}`,
    explanation: `${row.actor} was active at an hour it never was before: ${observed}. Compared with ${summary}.`,
    baseline: { summary, activeDays: days, values: hours.map(String), valueCount: hours.length },
    observed: { summary: observed, value: String(row.hour_of_day), count: n },
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    eventIds: row.event_ids,
    eventCount: n,
    group: "",
  };
}

/** Highest score first; ties by time, actor and id so the order is stable. */
export function byRank(
  a: { score: number; firstSeen: string; actor: string; id: string },
  b: typeof a,
) {
  return (
    b.score - a.score ||
    a.firstSeen.localeCompare(b.firstSeen) ||
    a.actor.localeCompare(b.actor) ||
    a.id.localeCompare(b.id)
  );
}
