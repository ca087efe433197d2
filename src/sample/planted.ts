/**
 * The stories the sample plants for the investigations (STS outside the allowed regions, a
 * stolen key, an AssumeRole burst, a night session, the trust audit's cases) and the benign
 * look-alikes that must not be mistaken for them.
 */
import type { Activity } from "./activity.js";
import {
  GLOBAL,
  regional,
  accessDeniedAssume,
  assumedRoleIdentity,
  credentials,
  iamUserIdentity,
  iamUserSessionIdentity,
  sessionArn,
  stsRecord,
  type JsonObject,
  type RoleRef,
  type StsEndpoint,
} from "./records.js";
import { apiRecord, type CallContext, type OrdinaryApi } from "./service-calls.js";
import { BUCKETS, DAY, HOUR, MANAGEMENT, MINUTE, PROD, START, UA, VENDOR } from "./world.js";

/**
 * What the sample plants for the investigations to find, in this order: STS calls outside the
 * allowed regions in the baseline period (with look-alikes that are not), the stolen build-bot
 * key, deploy-bot's AssumeRole burst, the finance role at night, a new address in a known
 * network, the trust audit's cases, and the note on ci-runner's client upgrade.
 */
export function plantStories(a: Activity): void {
  outsideRegionBaseline(a);
  plantStolenKey(a);
  plantAssumeRoleBurst(a);
  plantNightSession(a);
  plantKnownSubnetAddress(a);
  // Added later, from a stream of its own so that nothing drawn above or after moves.
  a.isolated("trust-stories", () => trustStories(a));
  noteClientUpgrade(a);
}

/** STS calls outside the allowed regions during the baseline period, and a global look-alike. */
function outsideRegionBaseline(a: Activity) {
  const { users, roles, habits, vendorRole } = a.world;
  const priya = users.priya!;
  const ph = habits.priya!;
  const t1 = Date.UTC(2026, 9, 14, 7, 12, 40);
  a.emit(
    stsRecord(a.rng, {
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
  a.assume({
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
    a.assume({
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
  const served = a.assume({
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
  a.lookAlikes.push({
    kind: "global-endpoint-served-elsewhere",
    principalArn: users.alice!.arn,
    eventIds: served.eventIds,
    description:
      "AssumeRole through sts.amazonaws.com served in eu-west-1, logged with awsRegion us-east-1: requested region us-east-1, not outside the allowed regions.",
  });
  // The management account is not bound by SCPs: a regional call in eu-central-1 succeeds.
  a.assume({
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
function plantStolenKey(a: Activity) {
  const { users, roles } = a.world;
  const bot = users.buildBot!;
  const ip = "185.220.101.47";
  const ua = UA.attacker;
  const ids: string[] = [];
  const probes: string[] = [];
  let t = Date.UTC(2026, 9, 27, 2, 14, 7);
  const step = () => (t += a.rng.int(4, 40) * 1000);
  const sts = (
    eventName: string,
    region: string,
    identity: JsonObject,
    extra: Partial<{ req: JsonObject; resp: JsonObject }> = {},
  ) => {
    const id = a.emit(
      stsRecord(a.rng, {
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
      a.emit(
        apiRecord(
          a.rng,
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
    const r = a.assume({
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
  const creds = credentials(a.rng, t, 43200);
  sts("GetSessionToken", "eu-north-1", iamUserIdentity(bot), {
    req: { durationSeconds: 43200 },
    resp: { credentials: creds },
  });
  const sessionIdentity = iamUserSessionIdentity(bot, creds.accessKeyId as string, t);
  sts("GetCallerIdentity", "ap-southeast-1", sessionIdentity);
  // The organization-wide trust lets build-bot in; the region-lock SCP refuses the call.
  assumeProbe(roles.orgReadOnly!, "ap-southeast-1", true, null, "AllowOrganization");
  assumeProbe(roles.securityAudit!, "eu-north-1", true, null);
  a.anomalies.push({
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
      a.emit(apiRecord(a.rng, name, ctx, { userIdentity: identity, ip, userAgent: ua }), t),
    );
  }
  a.anomalies.push({
    kind: "assume-role-probing",
    principalArn: bot.arn,
    eventIds: probes,
    description:
      "The stolen build-bot key tries AssumeRole on six prod and dev roles; five are denied, the broadly trusted public-sharing role lets it in and its session lists buckets.",
  });
}

/** (b) deploy-bot, which assumes terraform-apply 2-5 times a day, does it 80 times in 20 minutes. */
function plantAssumeRoleBurst(a: Activity) {
  const { users, roles, habits } = a.world;
  const bot = users.deployBot!;
  const h = habits.terraform!;
  const start = Date.UTC(2026, 9, 26, 15, 4, 10);
  const ids: string[] = [];
  for (let i = 0; i < 80; i++) {
    const t = start + Math.floor((i * 20 * MINUTE) / 80) + a.rng.int(0, 9000);
    const r = a.assume({
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
  a.anomalies.push({
    kind: "assume-role-burst",
    principalArn: bot.arn,
    eventIds: ids,
    description:
      "80 AssumeRole calls on terraform-apply in 20 minutes by a user that makes 2-5 a day.",
  });
}

/** (c) finance-reports, a working-hours console role, active at 03:00 UTC. */
function plantNightSession(a: Activity) {
  const { roles, habits } = a.world;
  const h = habits.finance!;
  const role = roles.finance!;
  const t0 = Date.UTC(2026, 9, 27, 3, 2, 44);
  const ip = `${h.ipPrefix}.${h.hosts[0]!}`;
  const { key, id } = a.samlAssume(role, "carol.diaz@example.com", t0, ip);
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
    t += a.rng.int(20, 300) * 1000;
    const ctx: CallContext = {
      account: MANAGEMENT,
      region: "us-east-1",
      buckets: BUCKETS[MANAGEMENT]!,
      time: t,
    };
    ids.push(
      a.emit(
        apiRecord(a.rng, name, ctx, { userIdentity: identity, ip, userAgent: h.userAgent }),
        t,
      ),
    );
  }
  a.anomalies.push({
    kind: "unusual-hour",
    principalArn: role.arn,
    eventIds: ids,
    description:
      "finance-reports, used 13:00-21:00 UTC on weekdays, is active at 03:00 UTC with its usual address and client.",
  });
}

/** A new address inside alice's known /24 in the detection window: not a new network. */
function plantKnownSubnetAddress(a: Activity) {
  const { users, habits } = a.world;
  const h = habits.alice!;
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const t = Date.UTC(2026, 9, 26, 15, 10 + i * 7, a.rng.int(0, 59));
    const id = a.ordinaryCall(h, t, iamUserIdentity(users.alice!), {
      ip: `${h.ipPrefix}.199`,
    });
    if (id) ids.push(id);
  }
  a.lookAlikes.push({
    kind: "new-address-in-known-subnet",
    principalArn: users.alice!.arn,
    eventIds: ids,
    description: "alice calls from 72.14.201.199, a new address inside her usual 72.14.201.0/24.",
  });
}

/**
 * The trust audit's cases the stories above lack, all in the baseline period: the vendor
 * using an old whole-account trust without an external id; a break-glass assumption with MFA
 * from the office; and a three-hop chain EC2 -> prod-app-ec2 -> data-pipeline -> orders-export.
 */
function trustStories(a: Activity) {
  const { users, roles, habits, vendorRole } = a.world;
  const vh = habits.vendor!;
  for (const day of [3, 9, 15]) {
    const t = START + day * DAY + 9 * HOUR + a.rng.int(0, 1800) * 1000;
    a.assume({
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
  a.assume({
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
    const t0 = START + day * DAY + 4 * HOUR + a.rng.int(0, 1200) * 1000;
    const stamp = new Date(t0).toISOString().slice(0, 10).replaceAll("-", "");
    const app = a.serviceAssume(
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
    const t1 = t0 + a.rng.int(20, 90) * 1000;
    const pipelineSession = `pipeline-export-${stamp}`;
    const pipeline = a.assume({
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
    const t2 = t1 + a.rng.int(20, 90) * 1000;
    a.assume({
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

/**
 * ci-runner's build image updates the AWS CLI in the detection window: a new client version
 * of a known client, benign, and what a suppression file is for. The ids were collected as
 * the calls were made; nothing is drawn here.
 */
function noteClientUpgrade(a: Activity) {
  const h = a.world.habits.ciRunner!;
  a.lookAlikes.push({
    kind: "client-upgrade",
    principalArn: h.arn,
    eventIds: a.upgraded.get(h.key) ?? [],
    description:
      "ci-runner's build image moves from aws-cli/2.13.25 to aws-cli/2.18.4 on 26 October (its daily inventory AssumeRole runs from another image and keeps the old client): a new version of a known client, suppressed by sample-data/suppressions.json.",
  });
}
