/**
 * The ground truth written to `expected.json`: computed from the files and records the
 * generator wrote, never typed by hand. Later features' tests assert against it.
 */
import { createHash } from "node:crypto";

import type { AssumeCall, Story } from "./activity.js";
import type { JsonObject } from "./records.js";
import { ACCOUNTS, ALLOWED_REGIONS, DETECTION_START, END, ORG_ID, START } from "./world.js";
import { isoTime } from "./records.js";

/** What a file is, judged by its content (its name may lie). */
export type FileKind =
  | "cloudtrail-log"
  | "cloudtrail-digest"
  | "cloudtrail-insight"
  | "ndjson"
  | "json-array"
  | "lookup-events"
  | "cloudwatch-logs-subscription"
  | "eventbridge"
  | "zip"
  | "tar-gz"
  | "iam-authorization-details"
  | "text"
  | "junk";

/**
 * loaded: its events belong in the case file. skipped: recognised and left out by kind (no
 * events in it). quarantined: meant to hold events but cannot be read.
 */
export type FileStatus = "loaded" | "skipped" | "quarantined";

export type QuarantineReason = "truncated-gzip" | "not-gzip" | "empty" | "malformed-json";
export type SkipReason = "digest" | "text" | "junk" | "iam-export";

export interface ExpectedFile {
  /** Relative to the output folder, `/`-separated; a bundle member is `<bundle>!<member>`. */
  path: string;
  kind: FileKind;
  status: FileStatus;
  /** Why it is skipped or quarantined; null when loaded. */
  reason: QuarantineReason | SkipReason | null;
  /** Records (events) the file holds as written; 0 for files without events. */
  records: number;
  /** Of those, records without eventTime or eventSource, to be set aside rather than loaded. */
  setAside: number;
  /** SHA-256 of the bytes on disk (or of the member's bytes). */
  sha256: string;
  /** Bundle members, for zip and tar.gz files. */
  members?: ExpectedFile[];
}

export interface OutsideRegionStsCall {
  eventId: string;
  eventName: string;
  /** The region of the endpoint called: awsServingRegion for regional, us-east-1 for global. */
  requestedRegion: string;
  awsRegion: string;
  endpointType: "global" | "regional";
  /** The caller: userIdentity.arn, or `<type>:<accountId or invokedBy>` when there is no ARN. */
  principal: string;
  identityType: string;
  recipientAccountId: string;
  errorCode: string | null;
}

export interface ExpectedAnomaly {
  kind: string;
  principalArn: string;
  description: string;
  eventIds: string[];
  /** First and last eventTime of its events. */
  window: { start: string; end: string };
}

export interface ExpectedAssumeCaller {
  callerArn: string;
  callerAccount: string;
  eventName: string;
  crossAccount: boolean;
  /** Calls (a cross-account call's two copies count once). */
  calls: number;
  succeeded: number;
  failed: number;
  errorCodes: string[];
  /** Every record of these calls: the caller's copy and the role owner's copy. */
  eventIds: string[];
  /** Whether the role's trust policy in the IAM export allows this caller, and by which Sid. */
  trustAllows: boolean;
  allowingStatement: string | null;
  /**
   * stale-trust-snapshot: succeeded although the exported trust does not allow it.
   * outside-organization: succeeded from an account outside the organization.
   */
  finding: "stale-trust-snapshot" | "outside-organization" | null;
}

export interface ExpectedRole {
  roleArn: string;
  account: string;
  callers: ExpectedAssumeCaller[];
}

/**
 * Role chains: an assumed-role session assuming another role, followed back through the keys
 * each assumption issued to the first assumption (whose caller is not a session). Instances
 * with the same origin and roles are grouped.
 */
export interface ExpectedRoleChain {
  /** The first caller: a user, a service, an identity provider, or an account. */
  origin: string;
  /** The roles assumed one after the other, first to last. */
  roles: string[];
  /** Chains of this shape (one per last assumption). */
  chains: number;
  /** Every record of every assumption in these chains. */
  eventIds: string[];
}

export interface SampleExpectations {
  seed: number;
  organizationId: string;
  accounts: { id: string; name: string; layout: "account" | "organization" }[];
  /** All times ISO UTC; detection is the last two days, baseline everything before it. */
  window: {
    start: string;
    end: string;
    baseline: { start: string; end: string };
    detection: { start: string; end: string };
  };
  allowedRegions: string[];
  /** Every file under evidence/ (iam/ and policies/ are listed in `otherFiles`). */
  files: ExpectedFile[];
  otherFiles: string[];
  counts: {
    files: number;
    byKind: Partial<Record<FileKind, number>>;
    byStatus: Record<FileStatus, number>;
    quarantinedByReason: Partial<Record<QuarantineReason, number>>;
    skippedByReason: Partial<Record<SkipReason, number>>;
    /** Records in loaded files and members, duplicates included, set-aside and insight excluded. */
    loadedRecords: number;
    distinctEventIds: number;
    /** Records whose eventID was already loaded from another file: loadedRecords - distinct. */
    duplicateRecords: number;
    /** Files (or members) whose bytes equal an earlier file's. */
    identicalFileCopies: number;
    setAsideRecords: number;
    insightEvents: number;
    digestFiles: number;
    /** Log files the digests list, and how many of them exist at the listed path. */
    digestLogFiles: number;
    /** Cross-account calls written in two trails: pairs sharing a sharedEventID. */
    crossAccountPairs: number;
  };
  /** Digests hash the uncompressed log file content, as `aws cloudtrail validate-logs` checks. */
  digestHashOf: "uncompressed-content";
  sts: {
    total: number;
    /** STS calls whose requested region is outside allowedRegions, AWS service callers excluded. */
    outsideAllowedRegions: OutsideRegionStsCall[];
    /** The same for AWSService callers (AWS Config in every region): expected, not findings. */
    serviceOutsideAllowedRegions: { count: number; eventIds: string[] };
    /** Global-endpoint calls served in another region (logged in us-east-1): not outside calls. */
    globalServedElsewhere: { eventId: string; awsServingRegion: string }[];
    byRequestedRegion: Record<string, number>;
  };
  anomalies: ExpectedAnomaly[];
  lookAlikes: ExpectedAnomaly[];
  assumeRoles: ExpectedRole[];
  /** Roles in the IAM exports never assumed in the evidence. */
  rolesNeverAssumed: string[];
  roleChains: ExpectedRoleChain[];
}

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Every record a loader would load from the file tree, with the file it came from. */
function loadedRecords(files: readonly ExpectedFile[], recordsOf: Map<string, JsonObject[]>) {
  const out: JsonObject[] = [];
  const walk = (f: ExpectedFile) => {
    if (f.status !== "loaded") return;
    if (f.members) f.members.forEach(walk);
    if (f.kind === "cloudtrail-insight") return;
    for (const r of recordsOf.get(f.path) ?? []) {
      if (r.eventTime !== undefined && r.eventSource !== undefined) out.push(r);
    }
  };
  files.forEach(walk);
  return out;
}

export function principalOf(r: JsonObject): string {
  const id = r.userIdentity as JsonObject;
  if (typeof id.arn === "string") return id.arn;
  return `${id.type as string}:${(id.accountId ?? id.invokedBy ?? id.principalId) as string}`;
}

function story(s: Story, byId: Map<string, JsonObject>): ExpectedAnomaly {
  const times = s.eventIds.map((id) => byId.get(id)?.eventTime as string).sort();
  return {
    kind: s.kind,
    principalArn: s.principalArn,
    description: s.description,
    eventIds: s.eventIds,
    window: { start: times[0] ?? "", end: times[times.length - 1] ?? "" },
  };
}

export interface ExpectationInput {
  seed: number;
  files: ExpectedFile[];
  otherFiles: string[];
  recordsOf: Map<string, JsonObject[]>;
  assumeCalls: AssumeCall[];
  anomalies: Story[];
  lookAlikes: Story[];
  roleArns: string[];
  digestLogFiles: number;
}

export function computeExpectations(input: ExpectationInput): SampleExpectations {
  const { files, recordsOf } = input;
  const flat: ExpectedFile[] = [];
  const flatten = (f: ExpectedFile) => {
    flat.push(f);
    f.members?.forEach(flatten);
  };
  files.forEach(flatten);

  const byKind: Partial<Record<FileKind, number>> = {};
  const byStatus: Record<FileStatus, number> = { loaded: 0, skipped: 0, quarantined: 0 };
  const quarantinedByReason: Partial<Record<QuarantineReason, number>> = {};
  const skippedByReason: Partial<Record<SkipReason, number>> = {};
  const hashes = new Set<string>();
  let identical = 0;
  let setAside = 0;
  let insight = 0;
  for (const f of flat) {
    byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    byStatus[f.status]++;
    if (f.status === "quarantined") {
      const r = f.reason as QuarantineReason;
      quarantinedByReason[r] = (quarantinedByReason[r] ?? 0) + 1;
    }
    if (f.status === "skipped") {
      const r = f.reason as SkipReason;
      skippedByReason[r] = (skippedByReason[r] ?? 0) + 1;
    }
    if (hashes.has(f.sha256) && f.records > 0) identical++;
    hashes.add(f.sha256);
    if (f.status === "loaded") {
      setAside += f.setAside;
      if (f.kind === "cloudtrail-insight") insight += f.records;
    }
  }

  const records = loadedRecords(files, recordsOf);
  const byId = new Map<string, JsonObject>();
  for (const r of records) if (!byId.has(r.eventID as string)) byId.set(r.eventID as string, r);
  const distinct = [...byId.values()];

  const shared = new Map<string, number>();
  for (const r of distinct) {
    if (typeof r.sharedEventID === "string" && r.eventSource === "sts.amazonaws.com") {
      shared.set(r.sharedEventID, (shared.get(r.sharedEventID) ?? 0) + 1);
    }
  }

  const allowed = new Set<string>(ALLOWED_REGIONS);
  const outside: OutsideRegionStsCall[] = [];
  const serviceOutside: string[] = [];
  const served: { eventId: string; awsServingRegion: string }[] = [];
  const byRequested: Record<string, number> = {};
  let stsTotal = 0;
  for (const r of distinct) {
    if (r.eventSource !== "sts.amazonaws.com") continue;
    stsTotal++;
    const details = (r.additionalEventData as JsonObject).RequestDetails as JsonObject;
    const type = details.endpointType as "global" | "regional";
    const servingRegion = details.awsServingRegion as string;
    const requested = type === "global" ? "us-east-1" : servingRegion;
    byRequested[requested] = (byRequested[requested] ?? 0) + 1;
    if (type === "global" && servingRegion !== "us-east-1") {
      served.push({ eventId: r.eventID as string, awsServingRegion: servingRegion });
    }
    if (allowed.has(requested)) continue;
    const identity = r.userIdentity as JsonObject;
    if (identity.type === "AWSService") {
      serviceOutside.push(r.eventID as string);
      continue;
    }
    outside.push({
      eventId: r.eventID as string,
      eventName: r.eventName as string,
      requestedRegion: requested,
      awsRegion: r.awsRegion as string,
      endpointType: type,
      principal: principalOf(r),
      identityType: identity.type as string,
      recipientAccountId: r.recipientAccountId as string,
      errorCode: (r.errorCode as string | undefined) ?? null,
    });
  }
  const sortByTime = (a: { eventId: string }, b: { eventId: string }) =>
    String(byId.get(a.eventId)?.eventTime).localeCompare(String(byId.get(b.eventId)?.eventTime)) ||
    a.eventId.localeCompare(b.eventId);
  outside.sort(sortByTime);

  // AssumeRole calls per role and caller; only calls whose records were loaded count.
  const orgAccounts = new Set(ACCOUNTS.map((a) => a.id));
  const roles = new Map<string, Map<string, ExpectedAssumeCaller>>();
  for (const call of input.assumeCalls) {
    const ids = call.eventIds.filter((id) => byId.has(id));
    if (ids.length === 0) continue;
    let callers = roles.get(call.roleArn);
    if (!callers) roles.set(call.roleArn, (callers = new Map()));
    const key = `${call.callerArn}|${call.eventName}`;
    let c = callers.get(key);
    if (!c) {
      c = {
        callerArn: call.callerArn,
        callerAccount: call.callerAccount,
        eventName: call.eventName,
        crossAccount:
          /^\d{12}$/.test(call.callerAccount) && call.callerAccount !== call.roleArn.split(":")[4],
        calls: 0,
        succeeded: 0,
        failed: 0,
        errorCodes: [],
        eventIds: [],
        trustAllows: call.allowedBy !== null,
        allowingStatement: call.allowedBy,
        finding: null,
      };
      callers.set(key, c);
    }
    c.calls++;
    if (call.succeeded) c.succeeded++;
    else {
      c.failed++;
      if (call.errorCode && !c.errorCodes.includes(call.errorCode))
        c.errorCodes.push(call.errorCode);
    }
    c.eventIds.push(...ids);
    if (call.succeeded && call.allowedBy === null) c.finding = "stale-trust-snapshot";
    else if (call.succeeded && c.crossAccount && !orgAccounts.has(call.callerAccount)) {
      c.finding = "outside-organization";
    }
  }
  const assumeRoles: ExpectedRole[] = [...roles.entries()]
    .map(([roleArn, callers]) => ({
      roleArn,
      account: roleArn.split(":")[4]!,
      callers: [...callers.values()].sort((a, b) => a.callerArn.localeCompare(b.callerArn)),
    }))
    .sort((a, b) => a.roleArn.localeCompare(b.roleArn));
  const assumedSucceeded = new Set(
    assumeRoles.filter((r) => r.callers.some((c) => c.succeeded > 0)).map((r) => r.roleArn),
  );
  const attempted = new Set(assumeRoles.map((r) => r.roleArn));

  const roleChains = chainsOf(input.assumeCalls, byId);

  const loadedCount = records.length;
  return {
    seed: input.seed,
    organizationId: ORG_ID,
    accounts: ACCOUNTS.map((a) => ({
      id: a.id,
      name: a.name,
      layout: a.orgLayout ? "organization" : "account",
    })),
    window: {
      start: isoTime(START),
      end: isoTime(END),
      baseline: { start: isoTime(START), end: isoTime(DETECTION_START) },
      detection: { start: isoTime(DETECTION_START), end: isoTime(END) },
    },
    allowedRegions: [...ALLOWED_REGIONS],
    files,
    otherFiles: input.otherFiles,
    counts: {
      files: flat.length,
      byKind,
      byStatus,
      quarantinedByReason,
      skippedByReason,
      loadedRecords: loadedCount,
      distinctEventIds: byId.size,
      duplicateRecords: loadedCount - byId.size,
      identicalFileCopies: identical,
      setAsideRecords: setAside,
      insightEvents: insight,
      digestFiles: byKind["cloudtrail-digest"] ?? 0,
      digestLogFiles: input.digestLogFiles,
      crossAccountPairs: [...shared.values()].filter((n) => n === 2).length,
    },
    digestHashOf: "uncompressed-content",
    sts: {
      total: stsTotal,
      outsideAllowedRegions: outside,
      serviceOutsideAllowedRegions: { count: serviceOutside.length, eventIds: serviceOutside },
      globalServedElsewhere: served,
      byRequestedRegion: byRequested,
    },
    anomalies: input.anomalies.map((s) => story(s, byId)),
    lookAlikes: input.lookAlikes.map((s) => story(s, byId)),
    assumeRoles,
    rolesNeverAssumed: input.roleArns.filter(
      (arn) => !attempted.has(arn) && !assumedSucceeded.has(arn),
    ),
    roleChains,
  };
}

/** Chains from the keys each assumption used and issued; only calls whose records were loaded. */
function chainsOf(
  calls: readonly AssumeCall[],
  byId: Map<string, JsonObject>,
): ExpectedRoleChain[] {
  const loaded = calls.filter((c) => c.eventIds.some((id) => byId.has(id)));
  const byIssued = new Map<string, AssumeCall>();
  for (const c of loaded) if (c.issuedAccessKeyId) byIssued.set(c.issuedAccessKeyId, c);
  const parentOf = (c: AssumeCall) =>
    c.callerAccessKeyId ? byIssued.get(c.callerAccessKeyId) : undefined;
  const hasChild = new Set<AssumeCall>();
  for (const c of loaded) {
    const p = parentOf(c);
    if (p) hasChild.add(p);
  }
  const groups = new Map<string, ExpectedRoleChain>();
  for (const leaf of loaded) {
    if (hasChild.has(leaf)) continue;
    const path: AssumeCall[] = [leaf];
    for (let p = parentOf(leaf); p; p = parentOf(p)) path.unshift(p);
    if (path.length < 2) continue;
    const origin = path[0]!.callerArn;
    const roles = path.map((c) => c.roleArn);
    const key = [origin, ...roles].join(" > ");
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { origin, roles, chains: 0, eventIds: [] }));
    g.chains++;
    for (const c of path)
      for (const id of c.eventIds)
        if (byId.has(id) && !g.eventIds.includes(id)) g.eventIds.push(id);
  }
  return [...groups.values()].sort((a, b) =>
    [a.origin, ...a.roles].join(">").localeCompare([b.origin, ...b.roles].join(">")),
  );
}
