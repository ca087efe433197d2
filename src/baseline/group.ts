/**
 * Stories: an actor's findings that lie within `gapMinutes` of each other (each one starting no
 * later than the gap after the story so far ends) form one story, so a stolen key used for an
 * hour reads as one incident with one combined score.
 */
import { createHash } from "node:crypto";
import type { Finding, FindingKind, Story } from "./finding.js";
import { byRank } from "./findings.js";
import { actorLabel } from "../store/actor.js";
import { combinedScore } from "./score.js";

/** Sets each finding's `group` and returns the stories, strongest first (eventCount still 0). */
export function groupFindings(findings: Finding[], gapMinutes: number, idLimit: number): Story[] {
  const gap = gapMinutes * 60_000;
  const byActor = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byActor.get(f.actor) ?? [];
    list.push(f);
    byActor.set(f.actor, list);
  }
  const stories: Story[] = [];
  for (const [actor, list] of byActor) {
    list.sort((a, b) => a.firstSeen.localeCompare(b.firstSeen) || a.id.localeCompare(b.id));
    let current: Finding[] = [];
    let end = -Infinity;
    const close = () => {
      if (current.length) stories.push(story(actor, current, idLimit));
      current = [];
    };
    for (const f of list) {
      const start = Date.parse(f.firstSeen);
      if (current.length && start > end + gap) close();
      current.push(f);
      end = Math.max(end, Date.parse(f.lastSeen));
    }
    close();
  }
  return stories.sort(byRank);
}

function story(actor: string, findings: Finding[], idLimit: number): Story {
  const firstSeen = findings.map((f) => f.firstSeen).sort()[0]!;
  const lastSeen = findings
    .map((f) => f.lastSeen)
    .sort()
    .at(-1)!;
  const id = `s-${createHash("sha256").update(`${actor}\u0000${firstSeen}`).digest("hex").slice(0, 12)}`;
  const ranked = [...findings].sort(byRank);
  const kinds: FindingKind[] = [...new Set(ranked.map((f) => f.kind))];
  const ids = new Set<string>();
  for (const f of findings) for (const e of f.eventIds) ids.add(e);
  for (const f of findings) f.group = id;
  const lead = ranked
    .slice(0, 3)
    .map((f) => f.title.slice(actorLabel(actor).length + 2))
    .join("; ");
  const more = ranked.length > 3 ? ` (+${ranked.length - 3} more)` : "";
  return {
    id,
    actor,
    score: combinedScore(strongestPerObservation(findings)),
    title: `${actorLabel(actor)}: ${lead}${more}`,
    firstSeen,
    lastSeen,
    kinds,
    findingIds: ranked.map((f) => f.id),
    eventCount: 0,
    eventIds: [...ids].slice(0, idLimit),
  };
}

/**
 * The same observation found twice (an hour's burst that also makes its day's count abnormal)
 * counts once in a story's score: one score per field and value, the highest.
 */
function strongestPerObservation(findings: Finding[]): number[] {
  const best = new Map<string, number>();
  for (const f of findings) {
    const key = `${f.field}\u0000${f.value}`;
    best.set(key, Math.max(best.get(key) ?? 0, f.score));
  }
  return [...best.values()];
}
