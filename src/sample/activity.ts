/**
 * Three weeks of activity in the sample organization: every principal following its habits,
 * the AssumeRole relations between them, and the planted anomalies and look-alikes of the
 * detection window. Produces records with the trail (account, region) they are delivered to,
 * and remembers which event ids belong to which planted story.
 */
import type { Random } from "./random.js";
import {
  accessDeniedAssume,
  apiRecord,
  assumedRoleIdentity,
  assumeRoleResponse,
  awsAccountIdentity,
  credentials,
  iamUserIdentity,
  iamUserSessionIdentity,
  roleResource,
  serviceIdentity,
  sessionArn,
  stsRecord,
  type CallContext,
  type JsonObject,
  type OrdinaryApi,
  type RoleRef,
  type StsEndpoint,
  type UserRef,
} from "./records.js";
import {
  BUCKETS,
  CONFIG_REGIONS,
  DAY,
  DETECTION_START,
  END,
  HOUR,
  MANAGEMENT,
  MINUTE,
  PROD,
  START,
  UA,
  VENDOR,
  type Habit,
  type World,
} from "./world.js";

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

export const regional = (region: string): StsEndpoint => ({
  type: "regional",
  servingRegion: region,
});
export const GLOBAL: StsEndpoint = { type: "global", servingRegion: "us-east-1" };

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
  private readonly upgraded = new Map<string, string[]>();

  constructor(
    private rng: Random,
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
  private dayTimes(h: Habit, day: number, n: number): number[] {
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

  private hourAllowed(h: Habit, time: number): boolean {
    return time < DETECTION_START || this.seenOf(h.key).hours.has(new Date(time).getUTCHours());
  }

  /** Runs a habit over the whole period; `identityAt` hands out the identity for a call time. */
  private runHabit(h: Habit, identityAt: (time: number) => JsonObject | null): void {
    for (let day = START; day < END; day += DAY) {
      for (const t of this.dayTimes(h, day, this.rng.int(h.perDay[0], h.perDay[1]))) {
        if (!this.hourAllowed(h, t)) continue;
        const identity = identityAt(t);
        if (identity) this.ordinaryCall(h, t, identity);
      }
    }
  }

  /** Hands out a session's identity, starting a new session (and its assume call) when needed. */
  private sessions(
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
  private sessionStart(time: number): number {
    const hourStart = time - (time % HOUR);
    return Math.max(hourStart, time - this.rng.int(20, 240) * 1000);
  }

  generate(): void {
    const { users, roles, habits, vendorRole } = this.world;
    const rng = this.rng;

    // alice: CLI user in the security account, 2-4 cross-account AssumeRole a day into prod.
    const alice = users.alice!;
    this.runHabit(habits.alice!, () => iamUserIdentity(alice));
    this.userAssumes(
      habits.alice!,
      alice,
      roles.securityAudit!,
      [2, 4],
      "alice",
      regional("us-east-1"),
      "AllowSecurityAccount",
    );

    // SAML console users.
    const samlHabit = (h: Habit, role: RoleRef, subject: string) =>
      this.sessions(HOUR, (t) => {
        const created = this.sessionStart(t);
        const ip = `${h.ipPrefix}.${h.hosts[0]!}`;
        const { key } = this.samlAssume(role, subject, created, ip);
        return assumedRoleIdentity(role, subject, key, created);
      });
    this.runHabit(
      habits.adminSso!,
      samlHabit(habits.adminSso!, roles.adminSso!, "bob.martin@example.com"),
    );
    this.runHabit(
      habits.finance!,
      samlHabit(habits.finance!, roles.finance!, "carol.diaz@example.com"),
    );

    // EC2 instance role in prod, and the role it chains into.
    const instances = ["i-0a1b2c3d4e5f60718", "i-0f9e8d7c6b5a49382"];
    let instanceTurn = 0;
    const prodApp = roles.prodApp!;
    const appSession = this.sessions(6 * HOUR, (t) => {
      const created = this.sessionStart(t);
      const instance = instances[instanceTurn++ % instances.length]!;
      const { accessKeyId } = this.serviceAssume(
        "ec2.amazonaws.com",
        prodApp,
        instance,
        created,
        "us-east-1",
      );
      return assumedRoleIdentity(prodApp, instance, accessKeyId, created, {
        ec2RoleDelivery: true,
      });
    });
    this.runHabit(habits.prodApp!, appSession);
    const pipelineHabit = habits.dataPipeline!;
    this.runHabit(
      pipelineHabit,
      this.sessions(HOUR, (t) => {
        const created = this.sessionStart(t);
        const caller = appSession(created);
        if (!caller) return null;
        const sessionName = `pipeline-${new Date(created).toISOString().slice(0, 10).replaceAll("-", "")}`;
        const { accessKeyId } = this.assume({
          callerIdentity: caller,
          callerArn: caller.arn as string,
          callerAccount: PROD,
          callerPrincipalId: caller.principalId as string,
          role: roles.dataPipeline!,
          sessionName,
          time: created,
          endpoint: regional("us-east-1"),
          ip: `${pipelineHabit.ipPrefix}.${pipelineHabit.hosts[0]!}`,
          userAgent: pipelineHabit.userAgent,
          allowedBy: "AllowAppRoleChaining",
        });
        return assumedRoleIdentity(roles.dataPipeline!, sessionName, accessKeyId!, created);
      }),
    );

    // Lambda function role.
    const lambdaRole = roles.lambdaOrders!;
    this.runHabit(
      habits.lambdaOrders!,
      this.sessions(4 * HOUR, (t) => {
        const created = this.sessionStart(t);
        const { accessKeyId } = this.serviceAssume(
          "lambda.amazonaws.com",
          lambdaRole,
          "orders-handler",
          created,
          "us-east-1",
        );
        return assumedRoleIdentity(lambdaRole, "orders-handler", accessKeyId, created);
      }),
    );

    // The vendor's collector, from an account outside the organization, with an external id.
    const vendorHabit = habits.vendor!;
    let vendorTurn = 0;
    this.runHabit(
      vendorHabit,
      this.sessions(4 * HOUR, (t) => {
        const created = this.sessionStart(t);
        const sessionName = `vendor-collector-${1000 + vendorTurn++}`;
        const { accessKeyId } = this.assume({
          callerIdentity: {},
          callerArn: sessionArn(vendorRole, "collector"),
          callerAccount: VENDOR,
          callerPrincipalId: `${vendorRole.id}:collector`,
          role: roles.vendorMonitoring!,
          sessionName,
          time: created,
          endpoint: regional("us-west-2"),
          ip: `${vendorHabit.ipPrefix}.${vendorHabit.hosts[0]!}`,
          userAgent: vendorHabit.userAgent,
          externalId: "vndr-7731-prod-ext",
          allowedBy: "AllowVendorWithExternalId",
          callerTrailMissing: true,
        });
        return assumedRoleIdentity(roles.vendorMonitoring!, sessionName, accessKeyId!, created);
      }),
    );

    // GitHub Actions deployments through OIDC.
    const githubHabit = habits.github!;
    this.runHabit(
      githubHabit,
      this.sessions(HOUR, (t) => {
        const created = this.sessionStart(t);
        const ip = `${githubHabit.ipPrefix}.${githubHabit.hosts[0]!}`;
        const { key } = this.webIdentityAssume(roles.githubDeploy!, created, ip, "refs/heads/main");
        return assumedRoleIdentity(roles.githubDeploy!, "GitHubActions", key, created, {
          webIdentity: true,
        });
      }),
    );

    // Dev users.
    this.runHabit(habits.buildBot!, () => iamUserIdentity(users.buildBot!));
    this.runHabit(habits.priya!, () => iamUserIdentity(users.priya!));
    const jenkins = users.jenkins!;
    this.runHabit(habits.jenkins!, () => iamUserIdentity(jenkins));
    // dev-jenkins assumes reporting-reader, whose trust (as exported) only names ci-runner: the
    // IAM snapshot is older than the trust change that lets it in.
    this.userAssumes(
      habits.jenkins!,
      jenkins,
      roles.reportingReader!,
      [1, 1],
      "jenkins",
      GLOBAL,
      null,
    );

    // deploy-bot and its terraform sessions.
    const deployBot = users.deployBot!;
    this.runHabit(habits.deployBot!, () => iamUserIdentity(deployBot));
    this.terraformSessions();

    // ci-runner: an EC2 role in dev reading prod through the organization-wide trust.
    const ciRunner = roles.ciRunner!;
    const ciHabit = habits.ciRunner!;
    const ciSession = this.sessions(6 * HOUR, (t) => {
      const created = this.sessionStart(t);
      const { accessKeyId } = this.serviceAssume(
        "ec2.amazonaws.com",
        ciRunner,
        "i-07c3a9e1d2b4f5a60",
        created,
        "us-west-2",
      );
      return assumedRoleIdentity(ciRunner, "i-07c3a9e1d2b4f5a60", accessKeyId, created, {
        ec2RoleDelivery: true,
      });
    });
    this.runHabit(ciHabit, ciSession);
    for (let day = START; day < END; day += DAY) {
      const t = day + 2 * HOUR + rng.int(0, 50) * MINUTE;
      const caller = ciSession(t);
      if (!caller) continue;
      this.assume({
        callerIdentity: caller,
        callerArn: caller.arn as string,
        callerAccount: ciRunner.account,
        callerPrincipalId: caller.principalId as string,
        role: roles.orgReadOnly!,
        sessionName: "ci-inventory",
        time: t,
        endpoint: regional("us-west-2"),
        ip: `${ciHabit.ipPrefix}.${ciHabit.hosts[0]!}`,
        userAgent: ciHabit.userAgent,
        allowedBy: "AllowOrganization",
      });
    }

    this.configEveryRegion();
    this.rootSignIns();
    this.stackSets();
    this.outsideRegionBaseline();
    this.plantStolenKey();
    this.plantAssumeRoleBurst();
    this.plantNightSession();
    this.plantKnownSubnetAddress();
    // Added later, from a stream of its own so that nothing drawn above or after moves.
    this.isolated("trust-stories", () => this.trustStories());
    this.noteClientUpgrade();
  }

  /**
   * ci-runner's build image updates the AWS CLI in the detection window: a new client version
   * of a known client, benign, and what a suppression file is for. The ids were collected as
   * the calls were made; nothing is drawn here.
   */
  private noteClientUpgrade() {
    const h = this.world.habits.ciRunner!;
    this.lookAlikes.push({
      kind: "client-upgrade",
      principalArn: h.arn,
      eventIds: this.upgraded.get(h.key) ?? [],
      description:
        "ci-runner's build image moves from aws-cli/2.13.25 to aws-cli/2.18.4 on 26 October (its daily inventory AssumeRole runs from another image and keeps the old client): a new version of a known client, suppressed by sample-data/suppressions.json.",
    });
  }

  /** Runs `fn` with a random stream of its own; the main stream is left where it was. */
  private isolated(label: string, fn: () => void): void {
    const main = this.rng;
    this.rng = main.fork(label);
    try {
      fn();
    } finally {
      this.rng = main;
    }
  }

  /**
   * The trust audit's cases the stories above lack, all in the baseline period: the vendor
   * using an old whole-account trust without an external id; a break-glass assumption with MFA
   * from the office; and a three-hop chain EC2 -> prod-app-ec2 -> data-pipeline -> orders-export.
   */
  private trustStories() {
    const { users, roles, habits, vendorRole } = this.world;
    const vh = habits.vendor!;
    for (const day of [3, 9, 15]) {
      const t = START + day * DAY + 9 * HOUR + this.rng.int(0, 1800) * 1000;
      this.assume({
        callerIdentity: {},
        callerArn: sessionArn(vendorRole, "collector"),
        callerAccount: VENDOR,
        callerPrincipalId: `${vendorRole.id}:collector`,
        role: roles.vendorLegacy!,
        sessionName: `legacy-sync-${day}`,
        time: t,
        endpoint: regional("us-west-2"),
        ip: `${vh.ipPrefix}.${vh.hosts[0]!}`,
        userAgent: vh.userAgent,
        allowedBy: "AllowVendorAccountLegacy",
        callerTrailMissing: true,
      });
    }

    const alice = users.alice!;
    this.assume({
      callerIdentity: iamUserIdentity(alice),
      callerArn: alice.arn,
      callerAccount: alice.account,
      callerPrincipalId: alice.id,
      role: roles.breakGlass!,
      sessionName: "alice-breakglass-drill",
      time: Date.UTC(2026, 9, 20, 15, 12, 31),
      endpoint: regional("us-east-1"),
      ip: `${habits.alice!.ipPrefix}.${habits.alice!.hosts[0]!}`,
      userAgent: habits.alice!.userAgent,
      serialNumber: `arn:aws:iam::${alice.account}:mfa/alice.nguyen`,
      allowedBy: "AllowSecurityAccountWithMfaFromOffice",
    });

    const ph = habits.dataPipeline!;
    const ip = `${ph.ipPrefix}.${ph.hosts[0]!}`;
    for (const day of [4, 11, 17]) {
      const t0 = START + day * DAY + 4 * HOUR + this.rng.int(0, 1200) * 1000;
      const stamp = new Date(t0).toISOString().slice(0, 10).replaceAll("-", "");
      const app = this.serviceAssume(
        "ec2.amazonaws.com",
        roles.prodApp!,
        "i-0a1b2c3d4e5f60718",
        t0,
        "us-east-1",
      );
      const appIdentity = assumedRoleIdentity(
        roles.prodApp!,
        "i-0a1b2c3d4e5f60718",
        app.accessKeyId,
        t0,
        { ec2RoleDelivery: true },
      );
      const t1 = t0 + this.rng.int(20, 90) * 1000;
      const pipelineSession = `pipeline-export-${stamp}`;
      const pipeline = this.assume({
        callerIdentity: appIdentity,
        callerArn: appIdentity.arn as string,
        callerAccount: PROD,
        callerPrincipalId: appIdentity.principalId as string,
        role: roles.dataPipeline!,
        sessionName: pipelineSession,
        time: t1,
        endpoint: regional("us-east-1"),
        ip,
        userAgent: ph.userAgent,
        allowedBy: "AllowAppRoleChaining",
      });
      const pipelineIdentity = assumedRoleIdentity(
        roles.dataPipeline!,
        pipelineSession,
        pipeline.accessKeyId!,
        t1,
      );
      const t2 = t1 + this.rng.int(20, 90) * 1000;
      this.assume({
        callerIdentity: pipelineIdentity,
        callerArn: pipelineIdentity.arn as string,
        callerAccount: PROD,
        callerPrincipalId: pipelineIdentity.principalId as string,
        role: roles.ordersExport!,
        sessionName: `export-${stamp}`,
        time: t2,
        endpoint: regional("us-east-1"),
        ip,
        userAgent: ph.userAgent,
        allowedBy: "AllowPipelineExports",
      });
    }
  }

  /** A user's daily AssumeRole calls, at times inside its working hours. */
  private userAssumes(
    h: Habit,
    u: UserRef,
    role: RoleRef,
    perDay: readonly [number, number],
    session: string,
    endpoint: StsEndpoint,
    allowedBy: string | null,
  ) {
    for (let day = START; day < END; day += DAY) {
      for (const t of this.dayTimes(h, day, this.rng.int(perDay[0], perDay[1]))) {
        if (!this.hourAllowed(h, t)) continue;
        this.assume({
          callerIdentity: iamUserIdentity(u),
          callerArn: u.arn,
          callerAccount: u.account,
          callerPrincipalId: u.id,
          role,
          sessionName: `${session}-${Math.floor(t / 1000)}`,
          time: t,
          endpoint,
          ip: `${h.ipPrefix}.${h.hosts[0]!}`,
          userAgent: h.userAgent,
          allowedBy,
        });
      }
    }
  }

  private terraformSessions() {
    const { users, roles, habits } = this.world;
    const h = habits.terraform!;
    const bot = users.deployBot!;
    for (let day = START; day < END; day += DAY) {
      for (const t of this.dayTimes(h, day, this.rng.int(2, 5))) {
        if (!this.hourAllowed(h, t)) continue;
        const sessionName = `terraform-${Math.floor(t / 1000)}`;
        const { accessKeyId } = this.assume({
          callerIdentity: iamUserIdentity(bot),
          callerArn: bot.arn,
          callerAccount: bot.account,
          callerPrincipalId: bot.id,
          role: roles.terraformApply!,
          sessionName,
          time: t,
          endpoint: regional("us-west-2"),
          ip: `${h.ipPrefix}.${h.hosts[0]!}`,
          userAgent: h.userAgent,
          allowedBy: "AllowDeployUsers",
        });
        const identity = assumedRoleIdentity(roles.terraformApply!, sessionName, accessKeyId!, t);
        const n = this.rng.int(h.perDay[0], h.perDay[1]);
        for (let i = 0; i < n; i++)
          this.ordinaryCall(h, t + (i + 1) * this.rng.int(5, 40) * 1000, identity);
      }
    }
  }

  /** AWS Config assumes its service-linked role in every region it records, every day. */
  private configEveryRegion() {
    const { roles } = this.world;
    const configRoles = [roles.configS!, roles.configP!, roles.configD!];
    const lookAlike: string[] = [];
    for (let day = START; day < END; day += DAY) {
      for (const role of configRoles) {
        for (const region of CONFIG_REGIONS) {
          const t = day + 6 * HOUR + this.rng.int(0, 1800) * 1000;
          const { eventId } = this.serviceAssume(
            "config.amazonaws.com",
            role,
            "AWSConfig-Describe",
            t,
            region,
          );
          if (t >= DETECTION_START) lookAlike.push(eventId);
        }
      }
    }
    this.lookAlikes.push({
      kind: "service-principal-in-many-regions",
      principalArn: "config.amazonaws.com",
      eventIds: lookAlike,
      description:
        "AWS Config assumes AWSServiceRoleForConfig in every recorded region of every account daily; an AWSService caller, not a principal of the customer.",
    });
  }

  private rootSignIns() {
    const rng = this.rng;
    for (const day of [START + 1 * DAY, START + 9 * DAY]) {
      const t = day + 15 * HOUR + rng.int(0, 3000) * 1000;
      const key = rng.accessKey("ASIA");
      const identity = {
        type: "Root",
        principalId: MANAGEMENT,
        arn: `arn:aws:iam::${MANAGEMENT}:root`,
        accountId: MANAGEMENT,
        accessKeyId: "",
      };
      this.emit(
        {
          eventVersion: "1.09",
          userIdentity: identity,
          eventTime: new Date(t).toISOString().slice(0, 19) + "Z",
          eventSource: "signin.amazonaws.com",
          eventName: "ConsoleLogin",
          awsRegion: "us-east-1",
          sourceIPAddress: "72.14.201.23",
          userAgent: UA.console,
          requestParameters: null,
          responseElements: { ConsoleLogin: "Success" },
          additionalEventData: {
            LoginTo:
              "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
            MobileVersion: "No",
            MFAIdentifier: `arn:aws:iam::${MANAGEMENT}:mfa/root-account-mfa-device`,
            MFAUsed: "Yes",
          },
          eventID: rng.uuid(),
          readOnly: false,
          eventType: "AwsConsoleSignIn",
          managementEvent: true,
          recipientAccountId: MANAGEMENT,
          eventCategory: "Management",
          tlsDetails: {
            tlsVersion: "TLSv1.3",
            cipherSuite: "TLS_AES_128_GCM_SHA256",
            clientProvidedHostHeader: "signin.aws.amazon.com",
          },
        },
        t,
      );
      for (const api of ["ListAccounts", "GetCostAndUsage", "ListUsers"] as OrdinaryApi[]) {
        const at = t + rng.int(30, 900) * 1000;
        const ctx: CallContext = {
          account: MANAGEMENT,
          region: "us-east-1",
          buckets: BUCKETS[MANAGEMENT]!,
          time: at,
        };
        const record = apiRecord(rng, api, ctx, {
          userIdentity: {
            type: "Root",
            principalId: MANAGEMENT,
            arn: `arn:aws:iam::${MANAGEMENT}:root`,
            accountId: MANAGEMENT,
            accessKeyId: key,
            sessionContext: {
              attributes: {
                creationDate: new Date(t).toISOString().slice(0, 19) + "Z",
                mfaAuthenticated: "true",
              },
            },
          },
          ip: "72.14.201.23",
          userAgent: UA.console,
        });
        record.sessionCredentialFromConsole = "true";
        this.emit(record, at);
      }
    }
  }

  /** CloudFormation StackSets acting for its administration role in several regions. */
  private stackSets() {
    const role = this.world.roles.stacksets!;
    const regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];
    const ids: string[] = [];
    for (const day of [
      START + 3 * DAY,
      START + 10 * DAY,
      START + 17 * DAY,
      DETECTION_START + DAY,
    ]) {
      const t = day + 14 * HOUR + this.rng.int(0, 1800) * 1000;
      const { accessKeyId } = this.serviceAssume(
        "cloudformation.amazonaws.com",
        role,
        "StackSetsSession",
        t,
        "us-east-1",
      );
      const identity = assumedRoleIdentity(role, "StackSetsSession", accessKeyId, t, {
        invokedBy: "cloudformation.amazonaws.com",
      });
      for (const region of regions) {
        const at = t + this.rng.int(10, 300) * 1000;
        const ctx: CallContext = {
          account: MANAGEMENT,
          region,
          buckets: BUCKETS[MANAGEMENT]!,
          time: at,
        };
        const id = this.emit(
          apiRecord(this.rng, "DescribeStacks", ctx, {
            userIdentity: identity,
            ip: "cloudformation.amazonaws.com",
            userAgent: "cloudformation.amazonaws.com",
          }),
          at,
        );
        if (at >= DETECTION_START) ids.push(id);
      }
    }
    this.lookAlikes.push({
      kind: "service-acting-for-role",
      principalArn: role.arn,
      eventIds: ids,
      description:
        "CloudFormation StackSets calls on behalf of its administration role in four regions (userIdentity.invokedBy); the same regions appear in the baseline.",
    });
  }

  /** STS calls outside the allowed regions during the baseline period, and a global look-alike. */
  private outsideRegionBaseline() {
    const { users, roles, habits, vendorRole } = this.world;
    const priya = users.priya!;
    const ph = habits.priya!;
    const t1 = Date.UTC(2026, 9, 14, 7, 12, 40);
    this.emit(
      stsRecord(this.rng, {
        userIdentity: iamUserIdentity(priya),
        time: t1,
        eventName: "GetCallerIdentity",
        endpoint: regional("eu-west-1"),
        ip: `${ph.ipPrefix}.${ph.hosts[0]!}`,
        userAgent: ph.userAgent,
        requestParameters: null,
        responseElements: null,
        recipientAccountId: priya.account,
      }),
      t1,
    );
    this.assume({
      callerIdentity: iamUserIdentity(priya),
      callerArn: priya.arn,
      callerAccount: priya.account,
      callerPrincipalId: priya.id,
      role: roles.terraformApply!,
      sessionName: "priya-test",
      time: t1 + 41_000,
      endpoint: regional("eu-west-1"),
      ip: `${ph.ipPrefix}.${ph.hosts[0]!}`,
      userAgent: ph.userAgent,
      allowedBy: null,
      error: {
        code: "AccessDenied",
        message: accessDeniedAssume(priya.arn, roles.terraformApply!, true),
      },
    });

    const vh = habits.vendor!;
    const vendorCall = (time: number, endpoint: StsEndpoint) =>
      this.assume({
        callerIdentity: {},
        callerArn: sessionArn(vendorRole, "collector"),
        callerAccount: VENDOR,
        callerPrincipalId: `${vendorRole.id}:collector`,
        role: roles.vendorMonitoring!,
        sessionName: `vendor-collector-eu-${Math.floor(time / 1000)}`,
        time,
        endpoint,
        ip: `${vh.ipPrefix}.${vh.hosts[1]!}`,
        userAgent: vh.userAgent,
        externalId: "vndr-7731-prod-ext",
        allowedBy: "AllowVendorWithExternalId",
        callerTrailMissing: true,
      });
    // The vendor is outside the organization, so the region lock does not bind it.
    vendorCall(Date.UTC(2026, 9, 15, 9, 30, 5), regional("eu-west-1"));
    // Through the global endpoint, served in eu-west-1 but logged in us-east-1: the requested
    // region is us-east-1, so this is not an outside-region call.
    const served = this.assume({
      callerIdentity: iamUserIdentity(users.alice!),
      callerArn: users.alice!.arn,
      callerAccount: MANAGEMENT,
      callerPrincipalId: users.alice!.id,
      role: roles.securityAudit!,
      sessionName: "alice-travel",
      time: Date.UTC(2026, 9, 16, 14, 2, 51),
      endpoint: { type: "global", servingRegion: "eu-west-1" },
      ip: "72.14.201.24",
      userAgent: habits.alice!.userAgent,
      allowedBy: "AllowSecurityAccount",
    });
    this.lookAlikes.push({
      kind: "global-endpoint-served-elsewhere",
      principalArn: users.alice!.arn,
      eventIds: served.eventIds,
      description:
        "AssumeRole through sts.amazonaws.com served in eu-west-1, logged with awsRegion us-east-1: requested region us-east-1, not outside the allowed regions.",
    });
    // The management account is not bound by SCPs: a regional call in eu-central-1 succeeds.
    this.assume({
      callerIdentity: iamUserIdentity(users.alice!),
      callerArn: users.alice!.arn,
      callerAccount: MANAGEMENT,
      callerPrincipalId: users.alice!.id,
      role: roles.securityAudit!,
      sessionName: "alice-fra",
      time: Date.UTC(2026, 9, 16, 14, 20, 13),
      endpoint: regional("eu-central-1"),
      ip: "72.14.201.24",
      userAgent: habits.alice!.userAgent,
      allowedBy: "AllowSecurityAccount",
    });
  }

  /** (a) build-bot's key used from abroad, with a new client, in new regions: recon and probing. */
  private plantStolenKey() {
    const { users, roles } = this.world;
    const bot = users.buildBot!;
    const ip = "185.220.101.47";
    const ua = UA.attacker;
    const ids: string[] = [];
    const probes: string[] = [];
    let t = Date.UTC(2026, 9, 27, 2, 14, 7);
    const step = () => (t += this.rng.int(4, 40) * 1000);
    const sts = (
      eventName: string,
      region: string,
      identity: JsonObject,
      extra: Partial<{ req: JsonObject; resp: JsonObject }> = {},
    ) => {
      const id = this.emit(
        stsRecord(this.rng, {
          userIdentity: identity,
          time: step(),
          eventName,
          endpoint: regional(region),
          ip,
          userAgent: ua,
          requestParameters: extra.req ?? null,
          responseElements: extra.resp ?? null,
          recipientAccountId: bot.account,
        }),
        t,
      );
      ids.push(id);
      return id;
    };
    const api = (name: OrdinaryApi, region: string, error?: { code: string; message: string }) => {
      step();
      const ctx: CallContext = {
        account: bot.account,
        region,
        buckets: BUCKETS[bot.account]!,
        time: t,
      };
      ids.push(
        this.emit(
          apiRecord(
            this.rng,
            name,
            ctx,
            { userIdentity: iamUserIdentity(bot), ip, userAgent: ua },
            error,
          ),
          t,
        ),
      );
    };
    const assumeProbe = (
      role: RoleRef,
      region: string | null,
      scp: boolean,
      sid: string | null,
      /** For a refused call: the trust statement that allows the caller (an SCP refused it). */
      trustedBy: string | null = null,
    ) => {
      step();
      const r = this.assume({
        callerIdentity: iamUserIdentity(bot),
        callerArn: bot.arn,
        callerAccount: bot.account,
        callerPrincipalId: bot.id,
        role,
        sessionName: "session",
        time: t,
        endpoint: region ? regional(region) : GLOBAL,
        ip,
        userAgent: ua,
        allowedBy: sid ?? trustedBy,
        ...(sid
          ? {}
          : { error: { code: "AccessDenied", message: accessDeniedAssume(bot.arn, role, scp) } }),
      });
      ids.push(...r.eventIds);
      return r;
    };

    sts("GetCallerIdentity", "ap-southeast-1", iamUserIdentity(bot));
    api("ListBuckets", "ap-southeast-1");
    api("ListUsers", "ap-southeast-1");
    api("DescribeInstances", "ap-southeast-1", {
      code: "Client.UnauthorizedOperation",
      message: `You are not authorized to perform this operation. User: ${bot.arn} is not authorized to perform: ec2:DescribeInstances with an explicit deny in a service control policy`,
    });
    sts("GetCallerIdentity", "eu-north-1", iamUserIdentity(bot));
    const creds = credentials(this.rng, t, 43200);
    sts("GetSessionToken", "eu-north-1", iamUserIdentity(bot), {
      req: { durationSeconds: 43200 },
      resp: { credentials: creds },
    });
    const sessionIdentity = iamUserSessionIdentity(bot, creds.accessKeyId as string, t);
    sts("GetCallerIdentity", "ap-southeast-1", sessionIdentity);
    // The organization-wide trust lets build-bot in; the region-lock SCP refuses the call.
    assumeProbe(roles.orgReadOnly!, "ap-southeast-1", true, null, "AllowOrganization");
    assumeProbe(roles.securityAudit!, "eu-north-1", true, null);
    this.anomalies.push({
      kind: "new-region-new-address-new-client",
      principalArn: bot.arn,
      eventIds: [...ids],
      description:
        "build-bot (usually us-west-2 from 34.212.88.0/24 with aws-cli/2.13) calls from 185.220.101.47 with Boto3/1.34.0 in ap-southeast-1 and eu-north-1: ListBuckets, ListUsers, GetCallerIdentity, DescribeInstances, GetSessionToken.",
    });

    // Then, through the global endpoint, AssumeRole against the roles it can find.
    ids.length = 0;
    for (const role of [
      roles.breakGlass!,
      roles.orgAccessProd!,
      roles.reportingReader!,
      roles.legacyMigration!,
      roles.orgAccessDev!,
    ]) {
      probes.push(...assumeProbe(role, null, false, null).eventIds);
    }
    const won = assumeProbe(roles.publicSharing!, null, false, "AllowAnyone");
    probes.push(...won.eventIds);
    const identity = assumedRoleIdentity(roles.publicSharing!, "session", won.accessKeyId!, t);
    for (const name of ["ListBuckets", "GetBucketPolicy"] as OrdinaryApi[]) {
      step();
      const ctx: CallContext = {
        account: PROD,
        region: "us-east-1",
        buckets: BUCKETS[PROD]!,
        time: t,
      };
      probes.push(
        this.emit(apiRecord(this.rng, name, ctx, { userIdentity: identity, ip, userAgent: ua }), t),
      );
    }
    this.anomalies.push({
      kind: "assume-role-probing",
      principalArn: bot.arn,
      eventIds: probes,
      description:
        "The stolen build-bot key tries AssumeRole on six prod and dev roles; five are denied, the broadly trusted public-sharing role lets it in and its session lists buckets.",
    });
  }

  /** (b) deploy-bot, which assumes terraform-apply 2-5 times a day, does it 80 times in 20 minutes. */
  private plantAssumeRoleBurst() {
    const { users, roles, habits } = this.world;
    const bot = users.deployBot!;
    const h = habits.terraform!;
    const start = Date.UTC(2026, 9, 26, 15, 4, 10);
    const ids: string[] = [];
    for (let i = 0; i < 80; i++) {
      const t = start + Math.floor((i * 20 * MINUTE) / 80) + this.rng.int(0, 9000);
      const r = this.assume({
        callerIdentity: iamUserIdentity(bot),
        callerArn: bot.arn,
        callerAccount: bot.account,
        callerPrincipalId: bot.id,
        role: roles.terraformApply!,
        sessionName: `terraform-${Math.floor(t / 1000)}`,
        time: t,
        endpoint: regional("us-west-2"),
        ip: `${h.ipPrefix}.${h.hosts[0]!}`,
        userAgent: h.userAgent,
        allowedBy: "AllowDeployUsers",
      });
      ids.push(...r.eventIds);
    }
    this.anomalies.push({
      kind: "assume-role-burst",
      principalArn: bot.arn,
      eventIds: ids,
      description:
        "80 AssumeRole calls on terraform-apply in 20 minutes by a user that makes 2-5 a day.",
    });
  }

  /** (c) finance-reports, a working-hours console role, active at 03:00 UTC. */
  private plantNightSession() {
    const { roles, habits } = this.world;
    const h = habits.finance!;
    const role = roles.finance!;
    const t0 = Date.UTC(2026, 9, 27, 3, 2, 44);
    const ip = `${h.ipPrefix}.${h.hosts[0]!}`;
    const { key, id } = this.samlAssume(role, "carol.diaz@example.com", t0, ip);
    const ids = [id];
    const identity = assumedRoleIdentity(role, "carol.diaz@example.com", key, t0);
    let t = t0;
    for (const name of [
      "GetCostAndUsage",
      "ListAccounts",
      "GetCostAndUsage",
      "ListBuckets",
      "GetCostAndUsage",
    ] as OrdinaryApi[]) {
      t += this.rng.int(20, 300) * 1000;
      const ctx: CallContext = {
        account: MANAGEMENT,
        region: "us-east-1",
        buckets: BUCKETS[MANAGEMENT]!,
        time: t,
      };
      ids.push(
        this.emit(
          apiRecord(this.rng, name, ctx, { userIdentity: identity, ip, userAgent: h.userAgent }),
          t,
        ),
      );
    }
    this.anomalies.push({
      kind: "unusual-hour",
      principalArn: role.arn,
      eventIds: ids,
      description:
        "finance-reports, used 13:00-21:00 UTC on weekdays, is active at 03:00 UTC with its usual address and client.",
    });
  }

  /** A new address inside alice's known /24 in the detection window: not a new network. */
  private plantKnownSubnetAddress() {
    const { users, habits } = this.world;
    const h = habits.alice!;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const t = Date.UTC(2026, 9, 26, 15, 10 + i * 7, this.rng.int(0, 59));
      const id = this.ordinaryCall(h, t, iamUserIdentity(users.alice!), {
        ip: `${h.ipPrefix}.199`,
      });
      if (id) ids.push(id);
    }
    this.lookAlikes.push({
      kind: "new-address-in-known-subnet",
      principalArn: users.alice!.arn,
      eventIds: ids,
      description: "alice calls from 72.14.201.199, a new address inside her usual 72.14.201.0/24.",
    });
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
