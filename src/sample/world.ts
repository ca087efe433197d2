/**
 * The sample organization: its accounts, users and roles with their ids, the habits of every
 * principal (regions, a stable /24, one client, usual calls, working hours in its time zone),
 * and which caller assumes which role, with the trust statement that allows it (or not).
 */
import type { RoleRef, UserRef } from "./records.js";
import type { OrdinaryApi } from "./service-calls.js";
import type { Random } from "./random.js";

export const ORG_ID = "o-7k2m9q4x1z";
export const ORG_ROOT = "r-4f2e";
export const MANAGEMENT = "111122223333";
export const PROD = "444455556666";
export const DEV = "777788889999";
/** A monitoring vendor's account: outside the organization. */
export const VENDOR = "999988887777";

export interface Account {
  id: string;
  name: string;
  email: string;
  /** Delivered through the organization trail's layout `AWSLogs/o-.../<account>/`. */
  orgLayout: boolean;
}

export const ACCOUNTS: readonly Account[] = [
  { id: MANAGEMENT, name: "security", email: "aws-security@example.com", orgLayout: false },
  { id: PROD, name: "prod", email: "aws-prod@example.com", orgLayout: true },
  { id: DEV, name: "dev", email: "aws-dev@example.com", orgLayout: false },
];

/** Wednesday 7 to Wednesday 28 October 2026; the detection window is Monday and Tuesday. */
export const START = Date.UTC(2026, 9, 7);
export const DETECTION_START = Date.UTC(2026, 9, 26);
export const END = Date.UTC(2026, 9, 28);
export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export const ALLOWED_REGIONS = ["us-east-1", "us-west-2"] as const;
/** Regions where AWS Config records in every account (its role is assumed there daily). */
export const CONFIG_REGIONS = ["us-east-1", "us-west-2", "us-east-2", "eu-west-1"] as const;

export const BUCKETS: Record<string, readonly string[]> = {
  [MANAGEMENT]: ["org-cloudtrail-111122223333", "security-tooling-artifacts"],
  [PROD]: ["prod-orders-data-444455556666", "prod-static-assets", "prod-exports-444455556666"],
  [DEV]: ["dev-build-artifacts-777788889999", "dev-scratch"],
};

export interface Habit {
  key: string;
  account: string;
  /** The principal a baseline keys on: the user's ARN, or the role's ARN for sessions. */
  arn: string;
  regions: readonly (readonly [string, number])[];
  /** First three octets of the usual addresses, and the usual last octets. */
  ipPrefix: string;
  hosts: readonly number[];
  userAgent: string;
  apis: readonly (readonly [OrdinaryApi, number])[];
  /** Offset from UTC in hours, and working hours in local time [start, end). */
  tz: number;
  startHour: number;
  endHour: number;
  weekdaysOnly: boolean;
  perDay: readonly [number, number];
  /** From `at` on, the principal's client is `userAgent` (a build image updating its CLI). */
  upgrade?: { at: number; userAgent: string };
}

export const UA = {
  cliMac: "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off",
  cliLinux: "aws-cli/2.13.25 Python/3.11.6 Linux/5.15.0-1051-aws exe/x86_64.ubuntu.22 prompt/off",
  /** The same CLI, updated: ci-runner's build image moves to it in the detection window. */
  cliLinuxUpdated:
    "aws-cli/2.18.4 Python/3.12.6 Linux/5.15.0-1051-aws exe/x86_64.ubuntu.22 prompt/off",
  cliWin:
    "aws-cli/2.17.4 md/awscrt#0.20.11 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard",
  goSdk:
    "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.3",
  javaSdk:
    "aws-sdk-java/2.25.10 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy",
  nodeSdk:
    "aws-sdk-js/3.614.0 ua/2.0 os/linux#5.10.223-232.919.amzn2.x86_64 lang/js md/nodejs#20.15.1 api/dynamodb#3.614.0 exec-env/AWS_Lambda_nodejs20.x",
  console:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
  terraform:
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.62.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5",
  githubAction:
    "aws-sdk-js/3.609.0 ua/2.0 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.13.1 api/sts#3.609.0 configure-aws-credentials-for-github-actions",
  vendor:
    "Boto3/1.28.57 md/Botocore#1.31.57 ua/2.0 os/linux#5.10.205-195.807.amzn2.x86_64 md/arch#x86_64 lang/python#3.9.16 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.57",
  /** The stolen key's client: never used by the key's owner. */
  attacker:
    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0",
} as const;

export interface World {
  users: Record<string, UserRef>;
  roles: Record<string, RoleRef>;
  /** The vendor's collector role, in the vendor's own account. */
  vendorRole: RoleRef;
  habits: Record<string, Habit>;
}

function user(rng: Random, account: string, name: string): UserRef {
  return {
    account,
    name,
    id: rng.principalId("AIDA"),
    arn: `arn:aws:iam::${account}:user/${name}`,
    accessKeyId: rng.accessKey("AKIA"),
  };
}

function role(rng: Random, account: string, name: string, path = "/"): RoleRef {
  return {
    account,
    name,
    path,
    id: rng.principalId("AROA"),
    arn: `arn:aws:iam::${account}:role${path}${name}`,
  };
}

export function buildWorld(root: Random): World {
  const rng = root.fork("world");
  const users: Record<string, UserRef> = {
    alice: user(rng, MANAGEMENT, "alice.nguyen"),
    buildBot: user(rng, DEV, "build-bot"),
    jenkins: user(rng, DEV, "dev-jenkins"),
    deployBot: user(rng, DEV, "deploy-bot"),
    priya: user(rng, DEV, "priya.sharma"),
    legacyBackup: user(rng, PROD, "legacy-backup"),
  };
  const configPath = "/aws-service-role/config.amazonaws.com/";
  const roles: Record<string, RoleRef> = {
    adminSso: role(rng, MANAGEMENT, "AdminSSO"),
    finance: role(rng, MANAGEMENT, "finance-reports"),
    stacksets: role(rng, MANAGEMENT, "AWSCloudFormationStackSetAdministrationRole"),
    auditCollector: role(rng, MANAGEMENT, "audit-collector"),
    configS: role(rng, MANAGEMENT, "AWSServiceRoleForConfig", configPath),
    securityAudit: role(rng, PROD, "SecurityAudit"),
    vendorMonitoring: role(rng, PROD, "VendorMonitoring"),
    orgReadOnly: role(rng, PROD, "OrgReadOnly"),
    publicSharing: role(rng, PROD, "public-sharing"),
    prodApp: role(rng, PROD, "prod-app-ec2"),
    lambdaOrders: role(rng, PROD, "lambda-orders"),
    dataPipeline: role(rng, PROD, "data-pipeline"),
    githubDeploy: role(rng, PROD, "github-actions-deploy"),
    reportingReader: role(rng, PROD, "reporting-reader"),
    breakGlass: role(rng, PROD, "BreakGlassAdmin"),
    legacyMigration: role(rng, PROD, "legacy-migration"),
    orgAccessProd: role(rng, PROD, "OrganizationAccountAccessRole"),
    configP: role(rng, PROD, "AWSServiceRoleForConfig", configPath),
    ciRunner: role(rng, DEV, "ci-runner"),
    terraformApply: role(rng, DEV, "terraform-apply"),
    orgAccessDev: role(rng, DEV, "OrganizationAccountAccessRole"),
    configD: role(rng, DEV, "AWSServiceRoleForConfig", configPath),
  };
  const vendorRole = role(rng, VENDOR, "vendor-collector");
  // Added for the trust audit after the roles above: drawn last, so no earlier id moves.
  roles.vendorLegacy = role(rng, PROD, "vendor-legacy-readonly");
  roles.ordersExport = role(rng, PROD, "orders-export");

  const habit = (h: Habit): Habit => h;
  const habits: Record<string, Habit> = {
    alice: habit({
      key: "alice",
      account: MANAGEMENT,
      arn: users.alice!.arn,
      regions: [
        ["us-east-1", 5],
        ["us-west-2", 1],
      ],
      ipPrefix: "72.14.201",
      hosts: [23, 24, 57],
      userAgent: UA.cliMac,
      apis: [
        ["LookupEvents", 5],
        ["DescribeTrails", 2],
        ["GetTrailStatus", 2],
        ["ListUsers", 2],
        ["ListBuckets", 2],
        ["GetBucketPolicy", 2],
        ["ListAccounts", 1],
      ],
      tz: -4,
      startHour: 9,
      endHour: 18,
      weekdaysOnly: true,
      perDay: [14, 24],
    }),
    adminSso: habit({
      key: "adminSso",
      account: MANAGEMENT,
      arn: roles.adminSso!.arn,
      regions: [
        ["us-east-1", 3],
        ["us-west-2", 2],
      ],
      ipPrefix: "98.47.112",
      hosts: [8, 9],
      userAgent: UA.console,
      apis: [
        ["DescribeInstances", 4],
        ["DescribeSecurityGroups", 2],
        ["ListRoles", 2],
        ["GetBucketAcl", 2],
        ["DescribeAlarms", 3],
      ],
      tz: -7,
      startHour: 8,
      endHour: 17,
      weekdaysOnly: true,
      perDay: [8, 14],
    }),
    finance: habit({
      key: "finance",
      account: MANAGEMENT,
      arn: roles.finance!.arn,
      regions: [["us-east-1", 1]],
      ipPrefix: "64.124.9",
      hosts: [140, 141],
      userAgent: UA.console,
      apis: [
        ["GetCostAndUsage", 5],
        ["ListAccounts", 2],
        ["ListBuckets", 1],
      ],
      tz: -4,
      startHour: 9,
      endHour: 17,
      weekdaysOnly: true,
      perDay: [3, 7],
    }),
    prodApp: habit({
      key: "prodApp",
      account: PROD,
      arn: roles.prodApp!.arn,
      regions: [["us-east-1", 1]],
      ipPrefix: "3.218.45",
      hosts: [10, 11],
      userAgent: UA.javaSdk,
      apis: [
        ["GetObject", 6],
        ["PutObject", 3],
        ["Decrypt", 3],
        ["GetSecretValue", 1],
      ],
      tz: 0,
      startHour: 0,
      endHour: 24,
      weekdaysOnly: false,
      perDay: [26, 40],
    }),
    dataPipeline: habit({
      key: "dataPipeline",
      account: PROD,
      arn: roles.dataPipeline!.arn,
      regions: [["us-east-1", 1]],
      ipPrefix: "3.218.45",
      hosts: [10, 11],
      userAgent: UA.javaSdk,
      apis: [
        ["ListObjects", 2],
        ["GetObject", 3],
        ["PutObject", 1],
      ],
      tz: 0,
      startHour: 1,
      endHour: 5,
      weekdaysOnly: false,
      perDay: [2, 4],
    }),
    lambdaOrders: habit({
      key: "lambdaOrders",
      account: PROD,
      arn: roles.lambdaOrders!.arn,
      regions: [["us-east-1", 1]],
      ipPrefix: "54.86.201",
      hosts: [17, 88, 140],
      userAgent: UA.nodeSdk,
      apis: [
        ["PutItem", 3],
        ["GetItem", 4],
      ],
      tz: 0,
      startHour: 0,
      endHour: 24,
      weekdaysOnly: false,
      perDay: [10, 18],
    }),
    vendor: habit({
      key: "vendor",
      account: PROD,
      arn: roles.vendorMonitoring!.arn,
      regions: [["us-west-2", 1]],
      ipPrefix: "44.230.12",
      hosts: [61, 62],
      userAgent: UA.vendor,
      apis: [
        ["DescribeInstances", 3],
        ["GetMetricData", 4],
        ["DescribeAlarms", 2],
      ],
      tz: 0,
      startHour: 0,
      endHour: 24,
      weekdaysOnly: false,
      perDay: [6, 10],
    }),
    github: habit({
      key: "github",
      account: PROD,
      arn: roles.githubDeploy!.arn,
      regions: [["us-east-1", 1]],
      ipPrefix: "52.14.77",
      hosts: [201, 202],
      userAgent: UA.githubAction,
      apis: [
        ["GetAuthorizationToken", 2],
        ["DescribeServices", 2],
        ["UpdateService", 1],
        ["PutObject", 1],
      ],
      tz: -4,
      startHour: 10,
      endHour: 18,
      weekdaysOnly: true,
      perDay: [1, 3],
    }),
    buildBot: habit({
      key: "buildBot",
      account: DEV,
      arn: users.buildBot!.arn,
      regions: [["us-west-2", 1]],
      ipPrefix: "34.212.88",
      hosts: [14, 15],
      userAgent: UA.cliLinux,
      apis: [
        ["GetAuthorizationToken", 3],
        ["PutObject", 3],
        ["DescribeInstances", 1],
      ],
      tz: 0,
      startHour: 0,
      endHour: 24,
      weekdaysOnly: false,
      perDay: [5, 9],
    }),
    jenkins: habit({
      key: "jenkins",
      account: DEV,
      arn: users.jenkins!.arn,
      regions: [["us-west-2", 1]],
      ipPrefix: "49.207.180",
      hosts: [33],
      userAgent: UA.goSdk,
      apis: [
        ["DescribeInstances", 2],
        ["DescribeStacks", 2],
        ["ListObjects", 1],
      ],
      tz: 5.5,
      startHour: 10,
      endHour: 19,
      weekdaysOnly: true,
      perDay: [5, 10],
    }),
    deployBot: habit({
      key: "deployBot",
      account: DEV,
      arn: users.deployBot!.arn,
      regions: [["us-west-2", 1]],
      ipPrefix: "34.212.90",
      hosts: [101],
      userAgent: UA.terraform,
      apis: [["DescribeInstances", 1]],
      tz: -4,
      startHour: 10,
      endHour: 17,
      weekdaysOnly: true,
      perDay: [1, 2],
    }),
    terraform: habit({
      key: "terraform",
      account: DEV,
      arn: roles.terraformApply!.arn,
      regions: [["us-west-2", 1]],
      ipPrefix: "34.212.90",
      hosts: [101],
      userAgent: UA.terraform,
      apis: [
        ["DescribeInstances", 3],
        ["DescribeSecurityGroups", 3],
        ["GetUser", 1],
        ["ListRoles", 1],
      ],
      tz: -4,
      startHour: 10,
      endHour: 17,
      weekdaysOnly: true,
      perDay: [3, 5],
    }),
    ciRunner: habit({
      key: "ciRunner",
      account: DEV,
      arn: roles.ciRunner!.arn,
      regions: [["us-west-2", 1]],
      ipPrefix: "35.160.14",
      hosts: [90, 91],
      userAgent: UA.cliLinux,
      upgrade: { at: Date.UTC(2026, 9, 26, 9), userAgent: UA.cliLinuxUpdated },
      apis: [
        ["GetAuthorizationToken", 2],
        ["GetObject", 2],
      ],
      tz: 0,
      startHour: 0,
      endHour: 24,
      weekdaysOnly: false,
      perDay: [2, 5],
    }),
    priya: habit({
      key: "priya",
      account: DEV,
      arn: users.priya!.arn,
      regions: [["us-west-2", 1]],
      ipPrefix: "49.207.181",
      hosts: [12, 13],
      userAgent: UA.cliWin,
      apis: [
        ["DescribeInstances", 3],
        ["ListObjects", 2],
        ["DescribeStacks", 1],
      ],
      tz: 5.5,
      startHour: 10,
      endHour: 19,
      weekdaysOnly: true,
      perDay: [3, 8],
    }),
  };
  return { users, roles, vendorRole, habits };
}
