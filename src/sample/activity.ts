/**
 * Three weeks of activity in the sample organization, recorded: the building blocks every story
 * uses (role assumptions written as CloudTrail writes them, ordinary calls of a habit, sessions
 * that expire), the records with the trail (account, region) they are delivered to, and which
 * event ids belong to which planted story. What happens is told in routine.ts (the habits and
 * services) and planted.ts (the anomalies and their look-alikes), in a fixed order: the random
 * stream they share makes the order part of the output.
 */
import { plantStories } from "./planted.js";
import type { Random } from "./random.js";
import {
  GLOBAL,
  regional,
  assumeRoleResponse,
  awsAccountIdentity,
  credentials,
  iamUserIdentity,
  roleResource,
  serviceIdentity,
  sessionArn,
  stsRecord,
  type JsonObject,
  type RoleRef,
  type StsEndpoint,
  type UserRef,
} from "./records.js";
import { apiRecord, type CallContext } from "./service-calls.js";
import {
  BUCKETS,
  DAY,
  DETECTION_START,
  END,
  HOUR,
  START,
  UA,
  type Habit,
  type World,
} from "./world.js";
import { runRoutine } from "./routine.js";

export interface Emitted {
  record: JsonObject;
  /** The account whose trail holds the record (its recipientAccountId). */
  account: string;
  region: string;
  time: number;
}

export interface AssumeCall {
  roleKey: string;
  roleArn: string;
  callerArn: string;
  callerAccount: string;
  eventName: string;
  succeeded: boolean;
  errorCode: string | null;
  allowedBy: string | null;
  /** Both copies of a cross-account call; one id otherwise. */
  eventIds: string[];
  /** The access key of the caller's credentials (a session's key links it to its assumption). */
  callerAccessKeyId: string | null;
  /** The key of the session the call created; null when it failed. */
  issuedAccessKeyId: string | null;
}

export interface Story {
  kind: string;
  principalArn: string;
  eventIds: string[];
  description: string;
}

interface Session {
  /** The first call that used it: its credentials were issued at or before this time. */
  from: number;
  expires: number;
  identity: JsonObject;
}

interface Seen {
  apiRegions: Set<string>;
  hosts: Set<number>;
  hours: Set<number>;
}

export class Activity {
  readonly emitted: Emitted[] = [];
  readonly assumeCalls: AssumeCall[] = [];
  readonly anomalies: Story[] = [];
  readonly lookAlikes: Story[] = [];
  private readonly seen = new Map<string, Seen>();
  /** Ordinary calls made with a habit's updated client, by habit. */
  readonly upgraded = new Map<string, string[]>();

  constructor(
    /** The random stream calls draw from; `isolated` swaps it for a forked one for a while. */
    public rng: Random,
    readonly world: World,
  ) {}

  emit(record: JsonObject, time: number): string {
    const account = record.recipientAccountId as string;
    this.emitted.push({ record, account, region: record.awsRegion as string, time });
    return record.eventID as string;
  }

  private roleKeyOf(role: RoleRef): string {
    for (const [key, r] of Object.entries(this.world.roles)) if (r === role) return key;
    throw new Error(`role not in the world: ${role.arn}`);
  }

  // ---- STS building blocks ----------------------------------------------------------------

  /** An AWS service assuming a role on its own behalf (EC2 instance profile, Lambda, Config). */
  serviceAssume(service: string, role: RoleRef, sessionName: string, time: number, region: string) {
    const { response, accessKeyId } = assumeRoleResponse(this.rng, role, sessionName, time, 21600);
    const id = this.emit(
      stsRecord(this.rng, {
        userIdentity: serviceIdentity(service),
        time,
        eventName: "AssumeRole",
        endpoint: regional(region),
        ip: service,
        userAgent: service,
        requestParameters: {
          roleArn: role.arn,
          roleSessionName: sessionName,
          durationSeconds: 21600,
        },
        responseElements: response,
        recipientAccountId: role.account,
        resources: [roleResource(role)],
        sharedEventID: this.rng.uuid(),
      }),
      time,
    );
    this.recordAssume(role, service, service, "AssumeRole", true, null, "AllowService", [id], {
      caller: null,
      issued: accessKeyId,
    });
    return { accessKeyId, eventId: id };
  }

  private recordAssume(
    role: RoleRef,
    callerArn: string,
    callerAccount: string,
    eventName: string,
    succeeded: boolean,
    errorCode: string | null,
    allowedBy: string | null,
    eventIds: string[],
    keys: { caller: string | null; issued: string | null },
  ) {
    this.assumeCalls.push({
      roleKey: this.roleKeyOf(role),
      roleArn: role.arn,
      callerArn,
      callerAccount,
      eventName,
      succeeded,
      errorCode,
      allowedBy,
      eventIds,
      callerAccessKeyId: keys.caller,
      issuedAccessKeyId: keys.issued,
    });
  }

  /**
   * AssumeRole by a user or a role session. A cross-account call is written twice: in the
   * caller's trail with its full identity, and in the role owner's trail as an `AWSAccount`
   * caller; both share `sharedEventID` and `requestID` and have their own `eventID`.
   */
  assume(o: {
    callerIdentity: JsonObject;
    callerArn: string;
    callerAccount: string;
    callerPrincipalId: string;
    role: RoleRef;
    sessionName: string;
    time: number;
    endpoint: StsEndpoint;
    ip: string;
    userAgent: string;
    allowedBy: string | null;
    externalId?: string;
    sourceIdentity?: string;
    /** The MFA device the caller authenticated with (logged as requestParameters.serialNumber). */
    serialNumber?: string;
    error?: { code: string; message: string };
    /** The caller's own trail is not in the evidence (an account outside the organization). */
    callerTrailMissing?: boolean;
  }): { accessKeyId: string | null; eventIds: string[] } {
    const { role } = o;
    const requestParameters: JsonObject = { roleArn: role.arn, roleSessionName: o.sessionName };
    if (o.externalId !== undefined) requestParameters.externalId = o.externalId;
    if (o.sourceIdentity !== undefined) requestParameters.sourceIdentity = o.sourceIdentity;
    if (o.serialNumber !== undefined) requestParameters.serialNumber = o.serialNumber;
    requestParameters.durationSeconds = 3600;
    let response: JsonObject | null = null;
    let accessKeyId: string | null = null;
    if (!o.error) {
      const r = assumeRoleResponse(this.rng, role, o.sessionName, o.time, 3600, o.sourceIdentity);
      response = r.response;
      accessKeyId = r.accessKeyId;
    }
    const cross = o.callerAccount !== role.account;
    const requestID = this.rng.uuid();
    const sharedEventID = cross ? this.rng.uuid() : undefined;
    const base = {
      time: o.time,
      eventName: "AssumeRole",
      endpoint: o.endpoint,
      ip: o.ip,
      userAgent: o.userAgent,
      requestParameters,
      responseElements: response,
      resources: [roleResource(role)],
      requestID,
      ...(o.error ? { errorCode: o.error.code, errorMessage: o.error.message } : {}),
    };
    const ids: string[] = [];
    if (!o.callerTrailMissing) {
      ids.push(
        this.emit(
          stsRecord(this.rng, {
            ...base,
            userIdentity: o.callerIdentity,
            recipientAccountId: o.callerAccount,
            ...(sharedEventID ? { sharedEventID } : {}),
          }),
          o.time,
        ),
      );
    }
    // A call refused before it reached the role (an SCP on the caller, or no trust) stays in
    // the caller's trail only.
    if (cross && !o.error) {
      ids.push(
        this.emit(
          stsRecord(this.rng, {
            ...base,
            userIdentity: awsAccountIdentity(o.callerPrincipalId, o.callerAccount),
            recipientAccountId: role.account,
            ...(sharedEventID ? { sharedEventID } : {}),
          }),
          o.time,
        ),
      );
    }
    this.recordAssume(
      role,
      o.callerArn,
      o.callerAccount,
      "AssumeRole",
      !o.error,
      o.error?.code ?? null,
      o.allowedBy,
      ids,
      {
        caller: (o.callerIdentity.accessKeyId as string | undefined) ?? null,
        issued: accessKeyId,
      },
    );
    return { accessKeyId, eventIds: ids };
  }

  samlAssume(
    role: RoleRef,
    subject: string,
    time: number,
    ip: string,
  ): { key: string; id: string } {
    const provider = `arn:aws:iam::${role.account}:saml-provider/Okta`;
    const issuerHash = "Qkd5RbRrhyGTyGRRe3FPBULEa9c=";
    const creds = credentials(this.rng, time, 3600);
    const id = this.emit(
      stsRecord(this.rng, {
        userIdentity: {
          type: "SAMLUser",
          principalId: `${issuerHash}:${subject}`,
          userName: subject,
          identityProvider: issuerHash,
        },
        time,
        eventName: "AssumeRoleWithSAML",
        endpoint: GLOBAL,
        ip,
        userAgent: UA.console,
        requestParameters: {
          sAMLAssertionID: `id${this.rng.int(10 ** 8, 10 ** 9)}${this.rng.hex(12)}`,
          roleSessionName: subject,
          principalTags: { team: subject.startsWith("carol") ? "finance" : "platform" },
          roleArn: role.arn,
          principalArn: provider,
          durationSeconds: 3600,
        },
        responseElements: {
          credentials: creds,
          assumedRoleUser: {
            assumedRoleId: `${role.id}:${subject}`,
            arn: sessionArn(role, subject),
          },
          packedPolicySize: 1,
          subject,
          subjectType: "persistent",
          issuer: "http://www.okta.com/exk8v2fq1pT9mZ4x5d7",
          audience: "https://signin.aws.amazon.com/saml",
          nameQualifier: issuerHash,
        },
        recipientAccountId: role.account,
        resources: [
          roleResource(role),
          { accountId: role.account, type: "AWS::IAM::SAMLProvider", ARN: provider },
        ],
      }),
      time,
    );
    this.recordAssume(
      role,
      provider,
      role.account,
      "AssumeRoleWithSAML",
      true,
      null,
      "AllowOktaSaml",
      [id],
      { caller: null, issued: creds.accessKeyId as string },
    );
    return { key: creds.accessKeyId as string, id };
  }

  webIdentityAssume(
    role: RoleRef,
    time: number,
    ip: string,
    ref: string,
  ): { key: string; id: string } {
    const provider = `arn:aws:iam::${role.account}:oidc-provider/token.actions.githubusercontent.com`;
    const sub = `repo:example-org/orders-service:ref:${ref}`;
    const session = "GitHubActions";
    const creds = credentials(this.rng, time, 3600);
    const id = this.emit(
      stsRecord(this.rng, {
        userIdentity: {
          type: "WebIdentityUser",
          principalId: `${provider}:sts.amazonaws.com:${sub}`,
          userName: sub,
          identityProvider: provider,
        },
        time,
        eventName: "AssumeRoleWithWebIdentity",
        endpoint: regional("us-east-1"),
        ip,
        userAgent: UA.githubAction,
        requestParameters: { roleArn: role.arn, roleSessionName: session, durationSeconds: 3600 },
        responseElements: {
          credentials: creds,
          subjectFromWebIdentityToken: sub,
          assumedRoleUser: {
            assumedRoleId: `${role.id}:${session}`,
            arn: sessionArn(role, session),
          },
          provider,
          audience: "sts.amazonaws.com",
        },
        extraEventData: { identityProviderConnectionVerificationMethod: "IAMTrustStore" },
        recipientAccountId: role.account,
        resources: [
          roleResource(role),
          { accountId: role.account, type: "AWS::IAM::OidcProvider", ARN: provider },
        ],
      }),
      time,
    );
    this.recordAssume(
      role,
      provider,
      role.account,
      "AssumeRoleWithWebIdentity",
      true,
      null,
      "AllowGitHubOidc",
      [id],
      { caller: null, issued: creds.accessKeyId as string },
    );
    return { key: creds.accessKeyId as string, id };
  }

  // ---- habits ------------------------------------------------------------------------------

  /** Times of one day's calls inside the habit's working hours, sorted. */
  dayTimes(h: Habit, day: number, n: number): number[] {
    const weekday = new Date(day).getUTCDay();
    if (h.weekdaysOnly && (weekday === 0 || weekday === 6)) return [];
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const localHour = h.startHour + this.rng.next() * (h.endHour - h.startHour);
      const t = day + Math.floor((localHour - h.tz) * HOUR);
      if (t >= START && t < END) times.push(t);
    }
    return times.sort((a, b) => a - b);
  }

  private seenOf(key: string): Seen {
    let s = this.seen.get(key);
    if (!s) {
      s = { apiRegions: new Set(), hosts: new Set(), hours: new Set() };
      this.seen.set(key, s);
    }
    return s;
  }

  /**
   * One ordinary call of a habit. In the detection window a call is only made with values the
   * baseline already holds for the principal (api and region, address, hour), so ordinary
   * activity never looks new there; returns null when no such call fits this time.
   */
  ordinaryCall(
    h: Habit,
    time: number,
    identity: JsonObject,
    override?: { ip?: string },
  ): string | null {
    const seen = this.seenOf(h.key);
    const detecting = time >= DETECTION_START;
    const hour = new Date(time).getUTCHours();
    if (detecting && !seen.hours.has(hour)) return null;
    for (let attempt = 0; attempt < 25; attempt++) {
      const api = this.rng.weighted(h.apis);
      const region = this.rng.weighted(h.regions);
      const host = this.rng.pick(h.hosts);
      const ctx: CallContext = { account: h.account, region, buckets: BUCKETS[h.account]!, time };
      const upgraded = h.upgrade !== undefined && time >= h.upgrade.at;
      const record = apiRecord(this.rng, api, ctx, {
        userIdentity: identity,
        ip: override?.ip ?? `${h.ipPrefix}.${host}`,
        userAgent: upgraded ? h.upgrade!.userAgent : h.userAgent,
      });
      const apiRegion = `${api}|${record.awsRegion as string}`;
      if (detecting && (!seen.apiRegions.has(apiRegion) || !seen.hosts.has(host))) continue;
      if (!detecting) {
        seen.apiRegions.add(apiRegion);
        seen.hosts.add(host);
        seen.hours.add(hour);
      }
      const id = this.emit(record, time);
      if (upgraded) this.upgraded.set(h.key, [...(this.upgraded.get(h.key) ?? []), id]);
      return id;
    }
    return null;
  }

  hourAllowed(h: Habit, time: number): boolean {
    return time < DETECTION_START || this.seenOf(h.key).hours.has(new Date(time).getUTCHours());
  }

  /** Runs a habit over the whole period; `identityAt` hands out the identity for a call time. */
  runHabit(h: Habit, identityAt: (time: number) => JsonObject | null): void {
    for (let day = START; day < END; day += DAY) {
      for (const t of this.dayTimes(h, day, this.rng.int(h.perDay[0], h.perDay[1]))) {
        if (!this.hourAllowed(h, t)) continue;
        const identity = identityAt(t);
        if (identity) this.ordinaryCall(h, t, identity);
      }
    }
  }

  /** Hands out a session's identity, starting a new session (and its assume call) when needed. */
  sessions(
    lifetime: number,
    start: (time: number) => JsonObject | null,
  ): (time: number) => JsonObject | null {
    let current: Session | null = null;
    const history: Session[] = [];
    return (time) => {
      // A second user of the sessions (a chained role's habit, run after this one) asks about
      // earlier times: it gets the session valid then, so no key is used before it was issued.
      if (current && time < current.from) {
        const past = history.find((s) => s.from <= time && time < s.expires);
        if (past) return past.identity;
        // None was valid then: start one from a random stream of its own, so that adding it
        // moves nothing drawn elsewhere.
        let identity: JsonObject | null = null;
        this.isolated(`session-at-${time}`, () => (identity = start(time)));
        if (!identity) return null;
        history.push({ from: time, expires: time + lifetime, identity });
        return identity;
      }
      if (!current || time >= current.expires) {
        const identity = start(time);
        if (!identity) return null;
        current = { from: time, expires: time + lifetime, identity };
        history.push(current);
      }
      return current.identity;
    };
  }

  /** The start of a session shortly before `time`, inside the same clock hour. */
  sessionStart(time: number): number {
    const hourStart = time - (time % HOUR);
    return Math.max(hourStart, time - this.rng.int(20, 240) * 1000);
  }

  /** Three weeks of the organization's routine, then the planted stories and look-alikes. */
  generate(): void {
    runRoutine(this);
    plantStories(this);
  }

  /** Runs `fn` with a random stream of its own; the main stream is left where it was. */
  isolated(label: string, fn: () => void): void {
    const main = this.rng;
    this.rng = main.fork(label);
    try {
      fn();
    } finally {
      this.rng = main;
    }
  }

  /**
   * Ordinary calls of the baseline period for the awkward files and bundles: habits of
   * IAM users only, so no session bookkeeping is needed.
   */
  extraOrdinary(count: number, from: number, to: number): JsonObject[] {
    const { users, habits } = this.world;
    const pool: [Habit, UserRef][] = [
      [habits.alice!, users.alice!],
      [habits.buildBot!, users.buildBot!],
      [habits.priya!, users.priya!],
      [habits.jenkins!, users.jenkins!],
    ];
    const out: JsonObject[] = [];
    let guard = 0;
    while (out.length < count && guard++ < count * 50) {
      const [h, u] = this.rng.pick(pool);
      const day = from + Math.floor(this.rng.next() * ((to - from) / DAY)) * DAY;
      const times = this.dayTimes(h, day, 1);
      const t = times[0];
      if (t === undefined || t < from || t >= to) continue;
      const before = this.emitted.length;
      const id = this.ordinaryCall(h, t, iamUserIdentity(u));
      if (id) out.push(this.emitted.splice(before, 1)[0]!.record);
    }
    return out;
  }
}
