/**
 * The sample organization's routine over the three weeks: habits, the role assumptions that
 * connect principals, and what AWS services do on their own. Nothing here is planted.
 */
import type { Activity } from "./activity.js";
import {
  GLOBAL,
  regional,
  assumedRoleIdentity,
  iamUserIdentity,
  rootIdentity,
  sessionArn,
  type RoleRef,
  type StsEndpoint,
  type UserRef,
} from "./records.js";
import { apiRecord, type CallContext, type OrdinaryApi } from "./service-calls.js";
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
} from "./world.js";

/**
 * The organization's three weeks of routine: every principal following its habits, the role
 * assumptions between them, AWS services at work (Config in every region, StackSets) and the
 * management account's root sign-ins.
 */
export function runRoutine(a: Activity): void {
  const { users, roles, habits, vendorRole } = a.world;
  const rng = a.rng;

  // alice: CLI user in the security account, 2-4 cross-account AssumeRole a day into prod.
  const alice = users.alice!;
  a.runHabit(habits.alice!, () => iamUserIdentity(alice));
  userAssumes(
    a,
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
    a.sessions(HOUR, (t) => {
      const created = a.sessionStart(t);
      const ip = `${h.ipPrefix}.${h.hosts[0]!}`;
      const { key } = a.samlAssume(role, subject, created, ip);
      return assumedRoleIdentity(role, subject, key, created);
    });
  a.runHabit(
    habits.adminSso!,
    samlHabit(habits.adminSso!, roles.adminSso!, "bob.martin@example.com"),
  );
  a.runHabit(habits.finance!, samlHabit(habits.finance!, roles.finance!, "carol.diaz@example.com"));

  // EC2 instance role in prod, and the role it chains into.
  const instances = ["i-0a1b2c3d4e5f60718", "i-0f9e8d7c6b5a49382"];
  let instanceTurn = 0;
  const prodApp = roles.prodApp!;
  const appSession = a.sessions(6 * HOUR, (t) => {
    const created = a.sessionStart(t);
    const instance = instances[instanceTurn++ % instances.length]!;
    const { accessKeyId } = a.serviceAssume(
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
  a.runHabit(habits.prodApp!, appSession);
  const pipelineHabit = habits.dataPipeline!;
  a.runHabit(
    pipelineHabit,
    a.sessions(HOUR, (t) => {
      const created = a.sessionStart(t);
      const caller = appSession(created);
      if (!caller) return null;
      const sessionName = `pipeline-${new Date(created).toISOString().slice(0, 10).replaceAll("-", "")}`;
      const { accessKeyId } = a.assume({
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
  a.runHabit(
    habits.lambdaOrders!,
    a.sessions(4 * HOUR, (t) => {
      const created = a.sessionStart(t);
      const { accessKeyId } = a.serviceAssume(
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
  a.runHabit(
    vendorHabit,
    a.sessions(4 * HOUR, (t) => {
      const created = a.sessionStart(t);
      const sessionName = `vendor-collector-${1000 + vendorTurn++}`;
      const { accessKeyId } = a.assume({
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
  a.runHabit(
    githubHabit,
    a.sessions(HOUR, (t) => {
      const created = a.sessionStart(t);
      const ip = `${githubHabit.ipPrefix}.${githubHabit.hosts[0]!}`;
      const { key } = a.webIdentityAssume(roles.githubDeploy!, created, ip, "refs/heads/main");
      return assumedRoleIdentity(roles.githubDeploy!, "GitHubActions", key, created, {
        webIdentity: true,
      });
    }),
  );

  // Dev users.
  a.runHabit(habits.buildBot!, () => iamUserIdentity(users.buildBot!));
  a.runHabit(habits.priya!, () => iamUserIdentity(users.priya!));
  const jenkins = users.jenkins!;
  a.runHabit(habits.jenkins!, () => iamUserIdentity(jenkins));
  // dev-jenkins assumes reporting-reader, whose trust (as exported) only names ci-runner: the
  // IAM snapshot is older than the trust change that lets it in.
  userAssumes(a, habits.jenkins!, jenkins, roles.reportingReader!, [1, 1], "jenkins", GLOBAL, null);

  // deploy-bot and its terraform sessions.
  const deployBot = users.deployBot!;
  a.runHabit(habits.deployBot!, () => iamUserIdentity(deployBot));
  terraformSessions(a);

  // ci-runner: an EC2 role in dev reading prod through the organization-wide trust.
  const ciRunner = roles.ciRunner!;
  const ciHabit = habits.ciRunner!;
  const ciSession = a.sessions(6 * HOUR, (t) => {
    const created = a.sessionStart(t);
    const { accessKeyId } = a.serviceAssume(
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
  a.runHabit(ciHabit, ciSession);
  for (let day = START; day < END; day += DAY) {
    const t = day + 2 * HOUR + rng.int(0, 50) * MINUTE;
    const caller = ciSession(t);
    if (!caller) continue;
    a.assume({
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

  configEveryRegion(a);
  rootSignIns(a);
  stackSets(a);
}

/** A user's daily AssumeRole calls, at times inside its working hours. */
function userAssumes(
  a: Activity,
  h: Habit,
  u: UserRef,
  role: RoleRef,
  perDay: readonly [number, number],
  session: string,
  endpoint: StsEndpoint,
  allowedBy: string | null,
) {
  for (let day = START; day < END; day += DAY) {
    for (const t of a.dayTimes(h, day, a.rng.int(perDay[0], perDay[1]))) {
      if (!a.hourAllowed(h, t)) continue;
      a.assume({
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

function terraformSessions(a: Activity) {
  const { users, roles, habits } = a.world;
  const h = habits.terraform!;
  const bot = users.deployBot!;
  for (let day = START; day < END; day += DAY) {
    for (const t of a.dayTimes(h, day, a.rng.int(2, 5))) {
      if (!a.hourAllowed(h, t)) continue;
      const sessionName = `terraform-${Math.floor(t / 1000)}`;
      const { accessKeyId } = a.assume({
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
      const n = a.rng.int(h.perDay[0], h.perDay[1]);
      for (let i = 0; i < n; i++)
        a.ordinaryCall(h, t + (i + 1) * a.rng.int(5, 40) * 1000, identity);
    }
  }
}

/** AWS Config assumes its service-linked role in every region it records, every day. */
function configEveryRegion(a: Activity) {
  const { roles } = a.world;
  const configRoles = [roles.configS!, roles.configP!, roles.configD!];
  const lookAlike: string[] = [];
  for (let day = START; day < END; day += DAY) {
    for (const role of configRoles) {
      for (const region of CONFIG_REGIONS) {
        const t = day + 6 * HOUR + a.rng.int(0, 1800) * 1000;
        const { eventId } = a.serviceAssume(
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
  a.lookAlikes.push({
    kind: "service-principal-in-many-regions",
    principalArn: "config.amazonaws.com",
    eventIds: lookAlike,
    description:
      "AWS Config assumes AWSServiceRoleForConfig in every recorded region of every account daily; an AWSService caller, not a principal of the customer.",
  });
}

function rootSignIns(a: Activity) {
  const rng = a.rng;
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
    a.emit(
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
          LoginTo: "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
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
        userIdentity: rootIdentity(MANAGEMENT, key, t),
        ip: "72.14.201.23",
        userAgent: UA.console,
      });
      record.sessionCredentialFromConsole = "true";
      a.emit(record, at);
    }
  }
}

/** CloudFormation StackSets acting for its administration role in several regions. */
function stackSets(a: Activity) {
  const role = a.world.roles.stacksets!;
  const regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];
  const ids: string[] = [];
  for (const day of [START + 3 * DAY, START + 10 * DAY, START + 17 * DAY, DETECTION_START + DAY]) {
    const t = day + 14 * HOUR + a.rng.int(0, 1800) * 1000;
    const { accessKeyId } = a.serviceAssume(
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
      const at = t + a.rng.int(10, 300) * 1000;
      const ctx: CallContext = {
        account: MANAGEMENT,
        region,
        buckets: BUCKETS[MANAGEMENT]!,
        time: at,
      };
      const id = a.emit(
        apiRecord(a.rng, "DescribeStacks", ctx, {
          userIdentity: identity,
          ip: "cloudformation.amazonaws.com",
          userAgent: "cloudformation.amazonaws.com",
        }),
        at,
      );
      if (at >= DETECTION_START) ids.push(id);
    }
  }
  a.lookAlikes.push({
    kind: "service-acting-for-role",
    principalArn: role.arn,
    eventIds: ids,
    description:
      "CloudFormation StackSets calls on behalf of its administration role in four regions (userIdentity.invokedBy); the same regions appear in the baseline.",
  });
}
