/**
 * IAM evidence for the sample: one `aws iam get-account-authorization-details` export per
 * account (one of them with URL-encoded policy documents, as the raw API returns them), a
 * `get-role` output, the organization, and the region-lock SCP.
 */
import type { Random } from "./random.js";
import type { Json, JsonObject, UserRef } from "./records.js";
import {
  ACCOUNTS,
  ALLOWED_REGIONS,
  DEV,
  MANAGEMENT,
  ORG_ID,
  ORG_ROOT,
  PROD,
  VENDOR,
  type World,
} from "./world.js";

const VERSION = "2012-10-17";
const GITHUB = "token.actions.githubusercontent.com";

function trust(statements: JsonObject[]): JsonObject {
  return { Version: VERSION, Statement: statements };
}

function serviceTrust(service: string): JsonObject {
  return trust([
    {
      Sid: "AllowService",
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
    },
  ]);
}

/**
 * Trust policies by role key. The Sids are the `allowedBy` names the activity uses, so the
 * expected answers and the documents come from one definition.
 */
export function trustPolicies(world: World): Record<string, JsonObject> {
  const { roles } = world;
  const saml = (account: string): JsonObject =>
    trust([
      {
        Sid: "AllowOktaSaml",
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${account}:saml-provider/Okta` },
        Action: ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        Condition: { StringEquals: { "SAML:aud": "https://signin.aws.amazon.com/saml" } },
      },
    ]);
  return {
    adminSso: saml(MANAGEMENT),
    finance: saml(MANAGEMENT),
    stacksets: serviceTrust("cloudformation.amazonaws.com"),
    auditCollector: trust([
      {
        Sid: "AllowOrganizationPaths",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: "sts:AssumeRole",
        Condition: {
          "ForAnyValue:StringLike": {
            "aws:PrincipalOrgPaths": [`${ORG_ID}/${ORG_ROOT}/ou-4f2e-sec0*/*`],
          },
        },
      },
    ]),
    configS: serviceTrust("config.amazonaws.com"),
    configP: serviceTrust("config.amazonaws.com"),
    configD: serviceTrust("config.amazonaws.com"),
    securityAudit: trust([
      {
        Sid: "AllowSecurityAccount",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` },
        Action: "sts:AssumeRole",
      },
    ]),
    vendorMonitoring: trust([
      {
        Sid: "AllowVendorWithExternalId",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${VENDOR}:root` },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": "vndr-7731-prod-ext" } },
      },
    ]),
    orgReadOnly: trust([
      {
        Sid: "AllowOrganization",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:PrincipalOrgID": ORG_ID } },
      },
    ]),
    publicSharing: trust([
      { Sid: "AllowAnyone", Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" },
    ]),
    prodApp: serviceTrust("ec2.amazonaws.com"),
    lambdaOrders: serviceTrust("lambda.amazonaws.com"),
    dataPipeline: trust([
      {
        Sid: "AllowAppRoleChaining",
        Effect: "Allow",
        Principal: { AWS: roles.prodApp!.arn },
        Action: "sts:AssumeRole",
        Condition: { StringLike: { "sts:RoleSessionName": "pipeline-*" } },
      },
    ]),
    githubDeploy: trust([
      {
        Sid: "AllowGitHubOidc",
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${PROD}:oidc-provider/${GITHUB}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { [`${GITHUB}:aud`]: "sts.amazonaws.com" },
          StringLike: { [`${GITHUB}:sub`]: "repo:example-org/orders-service:*" },
        },
      },
    ]),
    // As exported: only ci-runner. dev-jenkins is let in by a later trust change the snapshot
    // does not have.
    reportingReader: trust([
      {
        Sid: "AllowCiRunner",
        Effect: "Allow",
        Principal: { AWS: roles.ciRunner!.arn },
        Action: "sts:AssumeRole",
      },
    ]),
    breakGlass: trust([
      {
        Sid: "AllowSecurityAccountWithMfaFromOffice",
        Effect: "Allow",
        Principal: { AWS: MANAGEMENT },
        Action: "sts:AssumeRole",
        Condition: {
          Bool: { "aws:MultiFactorAuthPresent": "true" },
          IpAddress: { "aws:SourceIp": ["72.14.201.0/24"] },
        },
      },
      {
        Sid: "DenyWithoutMfa",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "sts:AssumeRole",
        Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } },
      },
    ]),
    legacyMigration: trust([
      {
        Sid: "AllowDevAccount",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${DEV}:root` },
        Action: "sts:AssumeRole",
      },
      {
        Sid: "DenyAllButCiRunner",
        Effect: "Deny",
        NotPrincipal: { AWS: [roles.ciRunner!.arn, `arn:aws:iam::${DEV}:root`] },
        Action: "sts:AssumeRole",
      },
    ]),
    orgAccessProd: trust([
      {
        Sid: "AllowManagementAccount",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` },
        Action: "sts:AssumeRole",
      },
    ]),
    ciRunner: serviceTrust("ec2.amazonaws.com"),
    terraformApply: trust([
      {
        Sid: "AllowDeployUsers",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${DEV}:root` },
        Action: ["sts:AssumeRole", "sts:SetSourceIdentity"],
        Condition: { ArnLike: { "aws:PrincipalArn": [`arn:aws:iam::${DEV}:user/deploy-*`] } },
      },
    ]),
    orgAccessDev: trust([
      {
        Sid: "AllowManagementAccount",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` },
        Action: "sts:AssumeRole",
      },
    ]),
    // An old integration: the vendor's whole account, without an external id (broad trust).
    vendorLegacy: trust([
      {
        Sid: "AllowVendorAccountLegacy",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${VENDOR}:root` },
        Action: "sts:AssumeRole",
      },
    ]),
    // The third hop of the pipeline's chain: only its sessions named export-*, from the prod NAT.
    ordersExport: trust([
      {
        Sid: "AllowPipelineExports",
        Effect: "Allow",
        Principal: { AWS: roles.dataPipeline!.arn },
        Action: "sts:AssumeRole",
        Condition: {
          StringLike: { "sts:RoleSessionName": "export-*" },
          IpAddress: { "aws:SourceIp": "3.218.45.0/24" },
        },
      },
    ]),
  };
}

const MANAGED: Record<string, string> = {
  ReadOnlyAccess: "arn:aws:iam::aws:policy/ReadOnlyAccess",
  SecurityAudit: "arn:aws:iam::aws:policy/SecurityAudit",
  AdministratorAccess: "arn:aws:iam::aws:policy/AdministratorAccess",
  AWSConfigServiceRolePolicy: "arn:aws:iam::aws:policy/aws-service-role/AWSConfigServiceRolePolicy",
  AmazonEC2ContainerRegistryPowerUser:
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser",
  Billing: "arn:aws:iam::aws:policy/job-function/Billing",
};

const ROLE_POLICIES: Record<string, string[]> = {
  adminSso: ["AdministratorAccess"],
  finance: ["Billing"],
  stacksets: [],
  auditCollector: ["SecurityAudit"],
  securityAudit: ["SecurityAudit"],
  vendorMonitoring: ["ReadOnlyAccess"],
  orgReadOnly: ["ReadOnlyAccess"],
  publicSharing: ["ReadOnlyAccess"],
  breakGlass: ["AdministratorAccess"],
  orgAccessProd: ["AdministratorAccess"],
  orgAccessDev: ["AdministratorAccess"],
  terraformApply: ["AdministratorAccess"],
  reportingReader: ["ReadOnlyAccess"],
  ciRunner: ["AmazonEC2ContainerRegistryPowerUser"],
  vendorLegacy: ["ReadOnlyAccess"],
};

function createDate(rng: Random): string {
  const month = rng.int(1, 12);
  return `202${rng.int(2, 5)}-${String(month).padStart(2, "0")}-${String(rng.int(1, 28)).padStart(2, "0")}T${String(rng.int(0, 23)).padStart(2, "0")}:${String(rng.int(0, 59)).padStart(2, "0")}:${String(rng.int(0, 59)).padStart(2, "0")}+00:00`;
}

/** The raw IAM API returns policy documents URL-encoded (RFC 3986); the CLI prints them decoded. */
function encodeDocument(doc: JsonObject, urlEncoded: boolean): Json {
  return urlEncoded ? encodeURIComponent(JSON.stringify(doc)) : doc;
}

export interface AuthorizationDetails {
  account: string;
  urlEncoded: boolean;
  document: JsonObject;
}

export function authorizationDetails(
  rng: Random,
  world: World,
  account: string,
  urlEncoded: boolean,
  lastUsed: Record<string, number>,
): AuthorizationDetails {
  const policies = trustPolicies(world);
  const roles = Object.entries(world.roles).filter(([, r]) => r.account === account);
  const roleList = roles.map(([key, r]): JsonObject => {
    const used = lastUsed[key];
    const attached = (
      key.startsWith("config") ? ["AWSConfigServiceRolePolicy"] : (ROLE_POLICIES[key] ?? [])
    ).map((name) => ({ PolicyName: name, PolicyArn: MANAGED[name]! }));
    const inline: JsonObject[] =
      ROLE_POLICIES[key] === undefined && !key.startsWith("config")
        ? [
            {
              PolicyName: `${r.name}-access`,
              PolicyDocument: encodeDocument(
                {
                  Version: VERSION,
                  Statement: [
                    {
                      Effect: "Allow",
                      Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt"],
                      Resource: "*",
                    },
                  ],
                },
                urlEncoded,
              ),
            },
          ]
        : [];
    const role: JsonObject = {
      Path: r.path,
      RoleName: r.name,
      RoleId: r.id,
      Arn: r.arn,
      CreateDate: createDate(rng),
      AssumeRolePolicyDocument: encodeDocument(policies[key]!, urlEncoded),
      InstanceProfileList:
        key === "prodApp" || key === "ciRunner"
          ? [
              {
                Path: "/",
                InstanceProfileName: r.name,
                InstanceProfileId: "AIPA" + rng.upperAlnum(17),
                Arn: `arn:aws:iam::${account}:instance-profile/${r.name}`,
                CreateDate: createDate(rng),
                Roles: [],
              },
            ]
          : [],
      RolePolicyList: inline,
      AttachedManagedPolicies: attached,
      Tags: [],
      RoleLastUsed:
        used === undefined
          ? {}
          : {
              LastUsedDate: new Date(used).toISOString().slice(0, 19) + "+00:00",
              Region: "us-east-1",
            },
    };
    return role;
  });

  const users = Object.values(world.users).filter((u) => u.account === account);
  const groupName = account === DEV ? "developers" : account === MANAGEMENT ? "security" : "ops";
  const group: JsonObject = {
    Path: "/",
    GroupName: groupName,
    GroupId: rng.principalId("AGPA"),
    Arn: `arn:aws:iam::${account}:group/${groupName}`,
    CreateDate: createDate(rng),
    GroupPolicyList: [
      {
        PolicyName: "assume-roles",
        PolicyDocument: encodeDocument(
          {
            Version: VERSION,
            Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
          },
          urlEncoded,
        ),
      },
    ],
    AttachedManagedPolicies: [{ PolicyName: "ReadOnlyAccess", PolicyArn: MANAGED.ReadOnlyAccess! }],
  };
  const userList = users.map((u: UserRef): JsonObject => ({
    Path: "/",
    UserName: u.name,
    UserId: u.id,
    Arn: u.arn,
    CreateDate: createDate(rng),
    UserPolicyList: [],
    GroupList: [groupName],
    AttachedManagedPolicies: [],
    Tags: [],
  }));
  const localPolicy = {
    PolicyName: "deny-leaving-organization",
    PolicyId: rng.principalId("ANPA"),
    Arn: `arn:aws:iam::${account}:policy/deny-leaving-organization`,
    Path: "/",
    DefaultVersionId: "v2",
    AttachmentCount: 1,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    CreateDate: "2024-02-02T10:11:12+00:00",
    UpdateDate: "2025-06-17T08:40:03+00:00",
    PolicyVersionList: [
      {
        Document: encodeDocument(
          {
            Version: VERSION,
            Statement: [
              { Effect: "Deny", Action: "organizations:LeaveOrganization", Resource: "*" },
            ],
          },
          urlEncoded,
        ),
        VersionId: "v2",
        IsDefaultVersion: true,
        CreateDate: "2025-06-17T08:40:03+00:00",
      },
    ],
  };
  return {
    account,
    urlEncoded,
    document: {
      UserDetailList: userList,
      GroupDetailList: [group],
      RoleDetailList: roleList,
      Policies: [localPolicy],
    },
  };
}

/** `aws iam get-role --role-name <name>` output. */
export function getRole(details: AuthorizationDetails, roleName: string): JsonObject {
  const roles = details.document.RoleDetailList as JsonObject[];
  const r = roles.find((x) => x.RoleName === roleName);
  if (!r) throw new Error(`no role ${roleName} in ${details.account}`);
  const doc = r.AssumeRolePolicyDocument;
  return {
    Role: {
      Path: r.Path!,
      RoleName: r.RoleName!,
      RoleId: r.RoleId!,
      Arn: r.Arn!,
      CreateDate: r.CreateDate!,
      AssumeRolePolicyDocument:
        typeof doc === "string" ? (JSON.parse(decodeURIComponent(doc)) as JsonObject) : doc!,
      Description: "Read access for the monitoring vendor",
      MaxSessionDuration: 3600,
      RoleLastUsed: r.RoleLastUsed!,
    },
  };
}

export function organization(): JsonObject {
  return {
    Organization: {
      Id: ORG_ID,
      Arn: `arn:aws:organizations::${MANAGEMENT}:organization/${ORG_ID}`,
      FeatureSet: "ALL",
      MasterAccountArn: `arn:aws:organizations::${MANAGEMENT}:account/${ORG_ID}/${MANAGEMENT}`,
      MasterAccountId: MANAGEMENT,
      MasterAccountEmail: ACCOUNTS[0]!.email,
    },
    Accounts: ACCOUNTS.map((a) => ({
      Id: a.id,
      Arn: `arn:aws:organizations::${MANAGEMENT}:account/${ORG_ID}/${a.id}`,
      Email: a.email,
      Name: a.name,
      Status: "ACTIVE",
      JoinedMethod: a.id === MANAGEMENT ? "CREATED" : "INVITED",
      JoinedTimestamp: "2024-01-15T09:30:00.000000+00:00",
    })),
  };
}

/** The bare statement denying STS outside the allowed regions. */
export function stsRegionLockStatement(): JsonObject {
  return {
    Effect: "Deny",
    Action: "sts:*",
    Resource: "*",
    Condition: { StringNotEquals: { "aws:RequestedRegion": [...ALLOWED_REGIONS] } },
  };
}

/**
 * The region-lock SCP: AWS's documented region-deny statement (global services, sts:* among
 * them, are exempt through NotAction; an admin role is exempt through ArnNotLike), plus a
 * second statement that closes STS too.
 */
export function regionLockScp(): JsonObject {
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: "DenyAllOutsideAllowedRegions",
        Effect: "Deny",
        NotAction: [
          "a4b:*",
          "acm:*",
          "aws-marketplace-management:*",
          "aws-marketplace:*",
          "aws-portal:*",
          "budgets:*",
          "ce:*",
          "chime:*",
          "cloudfront:*",
          "config:*",
          "cur:*",
          "directconnect:*",
          "ec2:DescribeRegions",
          "ec2:DescribeTransitGateways",
          "ec2:DescribeVpnGateways",
          "fms:*",
          "globalaccelerator:*",
          "health:*",
          "iam:*",
          "importexport:*",
          "kms:*",
          "mobileanalytics:*",
          "networkmanager:*",
          "organizations:*",
          "pricing:*",
          "route53:*",
          "route53domains:*",
          "route53-recovery-cluster:*",
          "route53-recovery-control-config:*",
          "route53-recovery-readiness:*",
          "s3:GetAccountPublic*",
          "s3:ListAllMyBuckets",
          "s3:ListMultiRegionAccessPoints",
          "s3:PutAccountPublic*",
          "shield:*",
          "sts:*",
          "support:*",
          "trustedadvisor:*",
          "waf-regional:*",
          "waf:*",
          "wafv2:*",
          "wellarchitected:*",
        ],
        Resource: "*",
        Condition: {
          StringNotEquals: { "aws:RequestedRegion": [...ALLOWED_REGIONS] },
          ArnNotLike: {
            "aws:PrincipalARN": [`arn:aws:iam::*:role/OrganizationAccountAccessRole`],
          },
        },
      },
      { Sid: "DenyStsOutsideAllowedRegions", ...stsRegionLockStatement() },
    ],
  };
}
