/** The report's scope section: what the conclusions rest on. */
import type { NormalizedFilters } from "../query/filters.js";
import type { RegionLock } from "../query/region-lock.js";
import type { CaseScope } from "../query/scope.js";
import { cols, sqlOf, type ReportSection } from "./model.js";

export function scopeSection(
  scope: CaseScope,
  range: NormalizedFilters,
  lock: RegionLock | null,
  policyFile: string | undefined,
): ReportSection {
  const span = scope.span.rows[0]!;
  const quarantined = scope.quarantined.rows.length;
  const asked =
    range.from || range.to
      ? `from ${range.from?.toISOString() ?? "the first event"} to ${range.to?.toISOString() ?? "the last event"} (UTC, end excluded)`
      : "the whole case";
  return {
    id: "scope",
    title: "Scope",
    intro: [
      `Range asked: ${asked}. It holds ${span.events} events from ${span.first_event ?? "-"} to ` +
        `${span.last_event ?? "-"}, in ${span.accounts} accounts and ${span.regions} regions, by ` +
        `${span.principals} principals.`,
      `The case records ${scope.files.rows.length} evidence files, each with its SHA-256; ` +
        (quarantined
          ? `${quarantined} of them could not be read (quarantined, listed below): whatever they held is not in this report.`
          : "none was quarantined."),
      lock
        ? `Allowed regions: ${lock.allowedRegions.join(", ")} (${lock.regionsFrom === "policy" ? `read from ${policyFile ?? "the policy"}` : "given"}).`
        : "No allowed regions were given: the sections on calls outside them and on controls are left out.",
    ],
    charts: [],
    tables: [
      {
        id: "scope-span",
        title: "Events in the range",
        description: "Counts over the events of the range.",
        columns: cols(...scope.span.columns),
        rows: scope.span.rows,
        sql: [sqlOf(scope.span)],
      },
      {
        id: "scope-accounts",
        title: "Accounts",
        description: "Events per account whose trail logged them.",
        columns: cols(...scope.accounts.columns),
        rows: scope.accounts.rows,
        sql: [sqlOf(scope.accounts)],
      },
      {
        id: "scope-event-sources",
        title: "Event sources",
        description: "Events and errors per AWS service.",
        columns: cols(...scope.eventSources.columns),
        rows: scope.eventSources.rows,
        sql: [sqlOf(scope.eventSources)],
      },
      {
        id: "scope-file-counts",
        title: "Evidence files by kind and status",
        description:
          "Every file found, whatever became of it: loaded, skipped (holds no events) or quarantined.",
        columns: cols(...scope.fileCounts.columns),
        rows: scope.fileCounts.rows,
        sql: [sqlOf(scope.fileCounts)],
      },
      {
        id: "scope-quarantined",
        title: "Quarantined files",
        description: "Files that could not be read, with the reason.",
        columns: cols(...scope.quarantined.columns),
        htmlColumns: cols("path", "member", "sha256", "size", "kind", "error_code", "error"),
        rows: scope.quarantined.rows,
        sql: [sqlOf(scope.quarantined)],
      },
      {
        id: "scope-files",
        title: "Evidence files",
        description: "Every file with its SHA-256 and how many of its events fall in the range.",
        columns: cols(...scope.files.columns),
        htmlColumns: cols(
          "path",
          "member",
          "sha256",
          "size",
          "kind",
          "status",
          "events_loaded",
          "events_in_range",
        ),
        rows: scope.files.rows,
        sql: [sqlOf(scope.files)],
      },
      {
        id: "scope-ingest-runs",
        title: "Ingest runs",
        description: "The loads that built the case file.",
        columns: cols(...scope.runs.columns),
        rows: scope.runs.rows,
        sql: [sqlOf(scope.runs)],
      },
    ],
    blocks: [],
  };
}
