/**
 * User agents as family and version, in SQL. A principal's client is recognised by its family
 * (aws-cli, Boto3, Terraform, ...) so that an upgrade reads as a new version of a known client,
 * and a different tool as a new client.
 */
import { quoteString } from "../store/sql.js";

interface UserAgentFamily {
  /** Shown as the family; null when the pattern's first group is the family itself. */
  family: string | null;
  /** RE2, case-insensitive; the last group is the version when `versioned`. */
  pattern: string;
  versioned: boolean;
}

const VERSION = "([0-9][0-9A-Za-z.+_-]*)";

/**
 * Tried in order: the first match wins. Order matters where one client's agent names another
 * (Terraform's names aws-sdk-go, Boto3's names Botocore).
 */
export const USER_AGENT_FAMILIES: readonly UserAgentFamily[] = [
  { family: "aws-internal", pattern: "^\\[?(aws-internal|AWS Internal)", versioned: false },
  { family: "aws-cli", pattern: `(?:^|[\\s\\[(])aws-cli/${VERSION}`, versioned: true },
  { family: "Terraform", pattern: `(?:^|[\\s\\[(])Terraform/${VERSION}`, versioned: true },
  { family: "Boto3", pattern: `(?:^|[\\s\\[(])Boto3/${VERSION}`, versioned: true },
  { family: "Botocore", pattern: `(?:^|[\\s\\[(])Botocore/${VERSION}`, versioned: true },
  { family: null, pattern: `(?:^|[\\s\\[(])(aws-sdk-[a-z0-9-]+)/${VERSION}`, versioned: true },
  { family: "python-requests", pattern: `python-requests/${VERSION}`, versioned: true },
  { family: "curl", pattern: `(?:^|\\s)curl/${VERSION}`, versioned: true },
  { family: "Go-http-client", pattern: `Go-http-client/${VERSION}`, versioned: true },
  { family: "S3Console", pattern: `S3Console/${VERSION}`, versioned: true },
  // Browsers update themselves every few weeks: their version says nothing about the user.
  { family: "browser", pattern: "^Mozilla/", versioned: false },
  // An AWS service or the console calling for the principal: the agent is a host name.
  { family: null, pattern: "^([a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.amazonaws\\.com)$", versioned: false },
  // Anything else shaped like product/version.
  { family: null, pattern: `^([A-Za-z][A-Za-z0-9._-]*)/${VERSION}`, versioned: true },
];

/** SQL for the family of the user agent in `column` (NULL for an empty agent). */
export function userAgentFamilySql(column: string): string {
  const arms = USER_AGENT_FAMILIES.map((f) => {
    const re = quoteString(`(?i)${f.pattern}`);
    const value = f.family === null ? `regexp_extract(${column}, ${re}, 1)` : quoteString(f.family);
    return `WHEN regexp_matches(${column}, ${re}) THEN ${value}`;
  });
  // Unrecognised agents are their own family, cut short so a random suffix cannot make every
  // call a new client.
  return `CASE WHEN nullif(trim(${column}), '') IS NULL THEN NULL
    ${arms.join("\n    ")}
    ELSE left(regexp_replace(${column}, '[0-9]+', '#', 'g'), 40) END`;
}

/** SQL for the version of the user agent in `column`, NULL when its family has none. */
export function userAgentVersionSql(column: string): string {
  const arms = USER_AGENT_FAMILIES.map((f) => {
    const re = quoteString(`(?i)${f.pattern}`);
    const group = f.family === null ? 2 : 1;
    const value = f.versioned ? `regexp_extract(${column}, ${re}, ${group})` : "NULL";
    return `WHEN regexp_matches(${column}, ${re}) THEN ${value}`;
  });
  return `CASE WHEN nullif(trim(${column}), '') IS NULL THEN NULL
    ${arms.join("\n    ")}
    ELSE NULL END`;
}
