/**
 * The query layer on the bundled sample evidence: the planted STS calls outside the allowed
 * regions found with their verdicts, the breakdown by region, timelines, typed results and Arrow,
 * streaming, bound parameters, the analyst-SQL sandbox, and the case-file lock.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  caseScope,
  CaseFileError,
  openCase,
  QueryOptionsError,
  SqlFailedError,
  SqlRefusedError,
  stsByRegion,
  stsOutsideRegions,
  timeline,
  timelinePages,
  toArrow,
  type Case,
} from "../src/index.js";
import { holdCase } from "./helpers/hold-case.js";
import { byTime, SAMPLE, sampleCase, type SampleCase } from "./helpers/sample-case.js";

let sample: SampleCase;
let c: Case;

beforeAll(async () => {
  sample = await sampleCase("query");
  c = await openCase(sample.db);
});
afterAll(() => {
  c?.close();
  sample?.cleanup();
});

describe("STS outside the allowed regions, on the sample evidence", () => {
  it("should find every planted outside call, with what a responder acts on", async () => {
    const { allowedRegions, sts } = sample.expected;
    const result = await stsOutsideRegions(c, { allowedRegions });
    const people = result.rows.filter((r) => r.identity_type !== "AWSService");
    expect(people.map((r) => r.event_id)).toEqual(sts.outsideAllowedRegions.map((e) => e.eventId));
    people.forEach((row, i) => {
      const e = sts.outsideAllowedRegions[i]!;
      expect({
        event_name: row.event_name,
        requested_region: row.requested_region,
        logged_region: row.logged_region,
        endpoint_type: row.endpoint_type,
        identity_type: row.identity_type,
        recipient_account_id: row.recipient_account_id,
        error_code: row.error_code,
      }).toEqual({
        event_name: e.eventName,
        requested_region: e.requestedRegion,
        logged_region: e.awsRegion,
        endpoint_type: e.endpointType,
        identity_type: e.identityType,
        recipient_account_id: e.recipientAccountId,
        error_code: e.errorCode,
      });
      expect(row.source_ip).toBeTruthy();
      expect(row.user_agent).toBeTruthy();
      expect(row.account_id).toMatch(/^\d{12}$/);
    });
    const services = result.rows.filter((r) => r.identity_type === "AWSService");
    expect(services.map((r) => r.event_id).sort()).toEqual(
      [...sts.serviceOutsideAllowedRegions.eventIds].sort(),
    );
    expect(services.every((r) => r.verdict === "aws-service-not-governed")).toBe(true);
  });

  it("should never report the global-endpoint calls served in another region", async () => {
    const { allowedRegions, sts } = sample.expected;
    expect(sts.globalServedElsewhere.length).toBeGreaterThan(0);
    const result = await stsOutsideRegions(c, { allowedRegions });
    const ids = new Set(result.rows.map((r) => r.event_id));
    for (const g of sts.globalServedElsewhere) expect(ids.has(g.eventId), g.eventId).toBe(false);
    // The breakdown shows them as what they are: logged in us-east-1, served elsewhere, global.
    const both = await stsByRegion(c, { groupBy: "both", eventIdLimit: 100 });
    const served = both.rows.filter(
      (r) => r.endpoint_type === "global" && r.serving_region !== "us-east-1",
    );
    expect(served.flatMap((r) => r.event_ids).sort()).toEqual(
      sts.globalServedElsewhere.map((g) => g.eventId).sort(),
    );
    expect(served.every((r) => r.logged_region === "us-east-1")).toBe(true);
  });

  it("should give the verdicts the evidence supports, with and without the organization", async () => {
    const { allowedRegions } = sample.expected;
    const verdicts = async (options: object) => {
      const result = await stsOutsideRegions(c, { allowedRegions, ...options });
      return Object.fromEntries(
        result.rows
          .filter((r) => r.identity_type !== "AWSService")
          .map((r) => [`${r.event_name} ${r.actor} ${r.requested_region}`, r.verdict]),
      );
    };
    const bot = "arn:aws:iam::777788889999:user/build-bot";
    const priya = "arn:aws:iam::777788889999:user/priya.sharma";
    const alice = "arn:aws:iam::111122223333:user/alice.nguyen";
    const common = {
      [`GetCallerIdentity ${priya} eu-west-1`]: "not-deniable",
      [`AssumeRole ${priya} eu-west-1`]: "denied-as-policy-would",
      [`GetCallerIdentity ${bot} ap-southeast-1`]: "not-deniable",
      [`GetCallerIdentity ${bot} eu-north-1`]: "not-deniable",
      [`GetSessionToken ${bot} eu-north-1`]: "not-deniable",
      [`AssumeRole ${bot} ap-southeast-1`]: "denied-as-policy-would",
      [`AssumeRole ${bot} eu-north-1`]: "denied-as-policy-would",
    };
    expect(await verdicts({})).toEqual({
      ...common,
      // The vendor's account has no trail in the case: whether an SCP governs it is unknown.
      "AssumeRole account:999988887777 eu-west-1": "undetermined",
      "AssumeRole account:111122223333 eu-central-1": "succeeded-would-be-denied",
      [`AssumeRole ${alice} eu-central-1`]: "succeeded-would-be-denied",
    });
    // The organization file says 111122223333 is the management account, and the vendor is
    // outside: no SCP of the organization governs either.
    const organization = join(SAMPLE, "iam", "organization.json");
    const { readFileSync } = await import("node:fs");
    expect(await verdicts({ organization: readFileSync(organization, "utf8") })).toEqual({
      ...common,
      "AssumeRole account:999988887777 eu-west-1": "account-not-governed",
      "AssumeRole account:111122223333 eu-central-1": "account-not-governed",
      [`AssumeRole ${alice} eu-central-1`]: "account-not-governed",
    });
  });

  it("should link the two trails' copies of a cross-account call", async () => {
    const result = await stsOutsideRegions(c, { allowedRegions: sample.expected.allowedRegions });
    const central = result.rows.filter((r) => r.requested_region === "eu-central-1");
    expect(central).toHaveLength(2);
    expect(central[0]!.shared_event_id).toBeTruthy();
    expect(central[0]!.shared_event_id).toBe(central[1]!.shared_event_id);
  });

  it("should summarise the stolen key's activity outside in one row", async () => {
    const result = await stsOutsideRegions(c, { allowedRegions: sample.expected.allowedRegions });
    const bot = result.principals.find(
      (p) => p.actor === "arn:aws:iam::777788889999:user/build-bot",
    )!;
    expect(bot).toMatchObject({
      calls: 6,
      succeeded: 4,
      failed: 2,
      source_ips: ["185.220.101.47"],
      event_names: { GetCallerIdentity: 3, GetSessionToken: 1, AssumeRole: 2 },
      requested_regions: { "ap-southeast-1": 3, "eu-north-1": 3 },
      verdicts: { "not-deniable": 4, "denied-as-policy-would": 2 },
      first_seen: "2026-10-27T02:14:47.000Z",
      last_seen: "2026-10-27T02:17:25.000Z",
    });
    const planted = sample.expected.anomalies.find((a) => a.kind.startsWith("new-region"))!;
    for (const id of bot.event_ids) expect(planted.eventIds).toContain(id);
  });
});

describe("STS by region, on the sample evidence", () => {
  it("should count every STS call once, by the region a policy sees", async () => {
    const { rows } = await stsByRegion(c, { groupBy: "requested" });
    const byRegion: Record<string, number> = {};
    for (const r of rows) {
      byRegion[r.requested_region!] = (byRegion[r.requested_region!] ?? 0) + r.calls;
    }
    expect(byRegion).toEqual(sample.expected.sts.byRequestedRegion);
    expect(rows.reduce((n, r) => n + r.calls, 0)).toBe(sample.expected.sts.total);
  });

  it("should count distinct principals and source IPs as the records show them", async () => {
    const { rows } = await stsByRegion(c, { groupBy: "logged" });
    const sts = sample.records.filter((r) => r.eventSource === "sts.amazonaws.com");
    for (const row of rows) {
      const mine = sts.filter(
        (r) => r.awsRegion === row.logged_region && (r.eventName ?? "") === row.event_name,
      );
      expect(row.calls).toBe(mine.length);
      expect(row.source_ips).toBe(new Set(mine.map((r) => r.sourceIPAddress)).size);
      expect(row.errors).toBe(mine.filter((r) => r.errorCode).length);
      const who = (r: Record<string, any>) =>
        r.userIdentity.sessionContext?.sessionIssuer?.arn ??
        r.userIdentity.arn ??
        r.userIdentity.accountId ??
        r.userIdentity.invokedBy ??
        r.userIdentity.userName;
      expect(row.principals, `${row.logged_region} ${row.event_name}`).toBe(
        new Set(mine.map(who)).size,
      );
      const times = mine.map((r) => new Date(r.eventTime).toISOString()).sort();
      expect(row.first_seen).toBe(times[0]);
      expect(row.last_seen).toBe(times[times.length - 1]);
    }
  });
});

describe("timelines, on the sample evidence", () => {
  const ids = (records: Record<string, any>[]) => [...records].sort(byTime).map((r) => r.eventID);

  it("should follow one principal, in time order", async () => {
    const arn = "arn:aws:iam::777788889999:user/build-bot";
    const result = await timeline(c, { principal: arn });
    expect(result.rows.map((r) => r.event_id)).toEqual(
      ids(sample.records.filter((r) => r.userIdentity.arn === arn)),
    );
    const planted = sample.expected.anomalies.filter((a) => a.principalArn === arn);
    const seen = new Set(result.rows.map((r) => r.event_id));
    for (const a of planted) {
      for (const id of a.eventIds.filter((id) => sample.records.some((r) => r.eventID === id))) {
        if (sample.records.find((r) => r.eventID === id)!.userIdentity.arn === arn) {
          expect(seen.has(id), id).toBe(true);
        }
      }
    }
  });

  it("should follow every session of a role when given the role", async () => {
    const role = "arn:aws:iam::444455556666:role/prod-app-ec2";
    const result = await timeline(c, { principal: role, columns: ["event_time", "principal_arn"] });
    expect(result.rows.map((r) => r.event_id)).toEqual(
      ids(sample.records.filter((r) => r.userIdentity.sessionContext?.sessionIssuer?.arn === role)),
    );
    expect(new Set(result.rows.map((r) => r.principal_arn)).size).toBeGreaterThan(1);
  });

  it("should follow one access key, from the call that issued it", async () => {
    const key = "ASIAK6V6PLUICVFJ2WKA";
    const result = await timeline(c, { accessKeyId: key });
    const expected = sample.records.filter(
      (r) =>
        r.userIdentity.accessKeyId === key ||
        (r.eventSource === "sts.amazonaws.com" &&
          r.responseElements?.credentials?.accessKeyId === key),
    );
    expect(result.rows.map((r) => r.event_id)).toEqual(ids(expected));
    // The stolen key's AssumeRole, in both trails, comes first.
    expect(result.rows.slice(0, 2).map((r) => r.event_name)).toEqual(["AssumeRole", "AssumeRole"]);
    const bySession = await timeline(c, { session: key });
    expect(bySession.rows).toEqual(result.rows);
  });

  it("should follow a long-term key, and one session by its ARN", async () => {
    const key = "AKIAPQHQ6533QVGGKMZL";
    const byKey = await timeline(c, { accessKeyId: key, columns: ["access_key_id"] });
    expect(byKey.rows.map((r) => r.event_id)).toEqual(
      ids(sample.records.filter((r) => r.userIdentity.accessKeyId === key)),
    );
    expect(byKey.rows.every((r) => r.access_key_id === key)).toBe(true);
    const session = "arn:aws:sts::444455556666:assumed-role/public-sharing/session";
    const bySession = await timeline(c, { session });
    expect(bySession.rows.map((r) => r.event_id)).toEqual(
      ids(sample.records.filter((r) => r.userIdentity.arn === session)),
    );
  });

  it("should show exactly the chosen columns, the event id always among them", async () => {
    const result = await timeline(c, {
      principal: "arn:aws:iam::777788889999:user/build-bot",
      columns: ["event_time", "event_name", "request_parameters"],
      from: "2026-10-27T02:16:00Z",
      to: "2026-10-27T02:17:00Z",
    });
    expect(result.columns).toEqual(["event_time", "event_name", "request_parameters", "event_id"]);
    expect(Object.keys(result.rows[0]!)).toEqual(result.columns);
    expect(result.rows.map((r) => r.event_name)).toEqual([
      "GetSessionToken",
      "GetCallerIdentity",
      "AssumeRole",
    ]);
    // JSON columns come back as values, not as text.
    expect(typeof result.rows[2]!.request_parameters).toBe("object");
    expect(result.types).toMatchObject({ event_time: "timestamp", request_parameters: "json" });
  });

  it("should refuse unknown columns and ambiguous selectors before running anything", async () => {
    await expect(
      timeline(c, { principal: "x", columns: ["event_time", "secret"] }),
    ).rejects.toThrow(expect.objectContaining({ code: "column-unknown", value: "secret" }));
    await expect(timeline(c, { principal: "x", accessKeyId: "y" })).rejects.toMatchObject({
      code: "selector-invalid",
    });
    await expect(timeline(c, {})).rejects.toMatchObject({ code: "selector-invalid" });
  });

  it("should page a long timeline without changing it", async () => {
    const options = { principal: "arn:aws:iam::444455556666:role/prod-app-ec2" };
    const whole = await timeline(c, options);
    expect(whole.rows.length).toBeGreaterThan(5000);
    const pages: number[] = [];
    const paged: unknown[] = [];
    for await (const page of timelinePages(c, options)) {
      pages.push(page.length);
      paged.push(...page);
    }
    expect(pages.length).toBeGreaterThan(1);
    expect(Math.max(...pages)).toBeLessThanOrEqual(2048);
    expect(paged).toEqual(whole.rows);
  });
});

describe("the scope of a case, on the sample evidence", () => {
  it("should count the range's events per file once, and give the quarantined files' own query result", async () => {
    const expected = JSON.parse(readFileSync(join(SAMPLE, "expected.json"), "utf8")) as {
      files: { sha256: string; status: string }[];
    };
    const meant = expected.files.filter((f) => f.status === "quarantined").map((f) => f.sha256);
    for (const filters of [{}, { from: "2026-10-26", to: "2026-10-28" }]) {
      // Watching the calls, not replacing them: every query runs on the real case file.
      const sql = vi.spyOn(c, "sql");
      let scope: Awaited<ReturnType<typeof caseScope>>;
      let asked: string[];
      try {
        scope = await caseScope(c, filters);
        asked = sql.mock.calls.map(([text]) => text);
      } finally {
        sql.mockRestore();
      }
      const perFile = asked.filter((text) => text.includes("in_range"));
      expect(perFile, JSON.stringify(filters)).toHaveLength(1);
      // The same as running the SQL the result carries: rows, columns, types, parameters.
      const { quarantined, files } = scope;
      expect(quarantined).toEqual(await c.sql(quarantined.sql, quarantined.params));
      expect(quarantined.params).toEqual(files.params);
      expect(quarantined.rows.map((f) => f.sha256).sort()).toEqual([...meant].sort());
      expect(files.rows.length).toBeGreaterThan(quarantined.rows.length);
    }
  });
});

describe("results for notebooks", () => {
  it("should carry the SQL and the parameters each helper ran", async () => {
    const result = await stsOutsideRegions(c, {
      allowedRegions: ["us-east-1"],
      from: "2026-10-27",
      principals: ["arn:aws:iam::777788889999:user/build-bot"],
    });
    expect(result.sql).toMatch(/FROM events/);
    expect(result.params.f_from).toBe("2026-10-27T00:00:00.000Z");
    // Running the SQL again with its parameters gives the same calls.
    const again = await c.sql<{ event_id: string }>(result.sql, result.params);
    expect(again.rows.map((r) => r.event_id)).toEqual(result.rows.map((r) => r.event_id));
  });

  it("should convert a result to an Arrow table with sensible types", async () => {
    const result = await stsByRegion(c, { groupBy: "both" });
    const table = toArrow(result);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toMatchObject({
      logged_region: "Utf8",
      calls: "Int32",
      errors: "Int32",
      first_seen: "Timestamp<MILLISECOND, UTC>",
      last_seen: "Timestamp<MILLISECOND, UTC>",
      event_ids: "List<Utf8>",
      errors_by_code: "Utf8",
    });
    expect(table.numRows).toBe(result.rows.length);
    const first = table.get(0)!.toJSON();
    expect(first.calls).toBe(result.rows[0]!.calls);
    expect(first.first_seen).toBe(Date.parse(result.rows[0]!.first_seen));
    expect([...first.event_ids]).toEqual(result.rows[0]!.event_ids);
    // Computed columns keep their declared types too.
    const outside = toArrow(await stsOutsideRegions(c, { allowedRegions: ["us-east-1"] }));
    expect(String(outside.schema.fields.find((f) => f.name === "event_time")!.type)).toBe(
      "Timestamp<MILLISECOND, UTC>",
    );
    expect(String(outside.schema.fields.find((f) => f.name === "undetermined_keys")!.type)).toBe(
      "List<Utf8>",
    );
  });

  it("should build Arrow straight from a large query, chunk by chunk", async () => {
    const table = await c.arrow(
      `SELECT event_time, event_id, count(*) OVER () AS total, request_parameters, read_only
       FROM events ORDER BY event_time, event_id`,
    );
    expect(table.numRows).toBe(sample.expected.counts.distinctEventIds);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      event_time: "Timestamp<MILLISECOND, UTC>",
      event_id: "Utf8",
      total: "Int32",
      request_parameters: "Utf8",
      read_only: "Bool",
    });
    const last = table.get(table.numRows - 1)!.toJSON();
    const record = sample.records[sample.records.length - 1]!;
    expect(last.event_time).toBe(Date.parse(record.eventTime));
    expect(JSON.parse(last.request_parameters as string)).toEqual(record.requestParameters);
  });

  it("should stream a large result in pages", async () => {
    let rows = 0;
    let pages = 0;
    for await (const page of c.stream("SELECT event_id FROM events")) {
      rows += page.length;
      pages++;
    }
    expect(rows).toBe(sample.expected.counts.distinctEventIds);
    expect(pages).toBeGreaterThan(1);
  });
});

describe("the raw escape hatch", () => {
  it("should bind parameters, so a value never becomes SQL", async () => {
    const sql = "SELECT count(*) AS n FROM events WHERE principal_arn = $who";
    const real = await c.sql<{ n: number }>(sql, {
      who: "arn:aws:iam::777788889999:user/build-bot",
    });
    expect(real.rows[0]!.n).toBeGreaterThan(100);
    const injected = await c.sql<{ n: number }>(sql, { who: "x' OR '1'='1" });
    expect(injected.rows[0]!.n).toBe(0);
    const list = await c.sql<{ n: number }>(
      "SELECT count(*) AS n FROM events WHERE list_contains($names, event_name)",
      { names: ["GetCallerIdentity", "GetSessionToken"] },
    );
    expect(list.rows[0]!.n).toBe(
      sample.records.filter((r) => ["GetCallerIdentity", "GetSessionToken"].includes(r.eventName))
        .length,
    );
    const when = await c.sql<{ n: number }>(
      "SELECT count(*) AS n FROM events WHERE event_time >= $t::TIMESTAMPTZ",
      { t: new Date("2026-10-27T00:00:00Z") },
    );
    expect(when.rows[0]!.n).toBe(
      sample.records.filter((r) => r.eventTime >= "2026-10-27T00:00:00Z").length,
    );
  });

  it("should refuse a parameter the query does not use", async () => {
    await expect(c.sql("SELECT 1", { who: "x" })).rejects.toThrow(QueryOptionsError);
    await expect(c.sql("SELECT 1", { who: "x" })).rejects.toThrow(/no parameter \$who/);
  });
});

describe("analyst SQL in the sandbox", () => {
  let s: Case;
  beforeAll(async () => {
    s = await openCase(sample.db, { sandbox: true });
  });
  afterAll(() => s?.close());

  const refusals: [string, string, RegExp][] = [
    ["SELECT * FROM read_csv('/etc/passwd')", "file-access", /Cannot access file "\/etc\/passwd"/],
    ["SELECT * FROM read_text('/etc/hostname')", "file-access", /Cannot access file/],
    ["SELECT * FROM read_json_auto('package.json')", "file-access", /Cannot access file/],
    ["SELECT * FROM read_parquet('/tmp/x.parquet')", "file-access", /Cannot access file/],
    ["SELECT * FROM glob('/etc/*')", "file-access", /Cannot access file/],
    ["SELECT * FROM '/etc/passwd'", "file-access", /is not a table of the case/],
    ["ATTACH '/tmp/other.duckdb' AS other", "file-access", /ATTACH statement/],
    ["COPY (SELECT * FROM events) TO '/tmp/leak.csv'", "file-access", /Cannot access file/],
    ["COPY events TO '/tmp/leak.parquet' (FORMAT parquet)", "file-access", /Cannot access file/],
    ["EXPORT DATABASE '/tmp/leak'", "file-access", /Cannot access file/],
    ["INSTALL httpfs", "file-access", /INSTALL\/LOAD statement/],
    ["LOAD httpfs", "file-access", /INSTALL\/LOAD statement/],
    ["LOAD json", "file-access", /INSTALL\/LOAD statement/],
    ["SET enable_external_access = true", "configuration", /SET statement/],
    ["SET threads = 1", "configuration", /SET statement/],
    ["RESET lock_configuration", "configuration", /SET statement/],
    ["PRAGMA threads=1", "configuration", /SET statement/],
    ["PRAGMA enable_profiling", "statement-type", /PRAGMA statement/],
    ["CREATE TEMP TABLE t AS SELECT 1", "write", /CREATE statement/],
    ["DELETE FROM events", "write", /DELETE statement/],
    ["SELECT 1; SELECT 2", "several-statements", /2 statements/],
  ];

  for (const [sql, reason, message] of refusals) {
    it(`should refuse ${sql}`, async () => {
      const error = await s.sql(sql).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SqlRefusedError);
      expect(error).toMatchObject({ code: "sql-refused", reason, sql });
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/^query refused/);
    });
  }

  it("should answer ordinary queries over the case's tables", async () => {
    const result = await s.sql<{ event_name: string; n: number }>(
      `SELECT event_name, count(*) AS n FROM events WHERE event_source = $source
       GROUP BY ALL ORDER BY n DESC, event_name`,
      { source: "sts.amazonaws.com" },
    );
    expect(result.rows.reduce((a, r) => a + r.n, 0)).toBe(sample.expected.sts.total);
    const described = await s.sql("DESCRIBE events");
    expect(described.rows.length).toBeGreaterThan(30);
    const record = await s.sql<{ record: Record<string, unknown> }>(
      "SELECT record FROM event_records WHERE event_id = $id",
      { id: sample.records[0]!.eventID },
    );
    expect(record.rows[0]!.record).toEqual(sample.records[0]);
    const explained = await s.sql("EXPLAIN SELECT count(*) FROM events");
    expect(explained.rows.length).toBeGreaterThan(0);
    const size = await s.sql("CALL pragma_database_size()");
    expect(size.rows[0]).toHaveProperty("database_size");
    const tables = await s.sql<{ name: string }>("SHOW TABLES");
    expect(tables.rows.map((r) => r.name)).toContain("events");
  });

  it("should report a mistake in the SQL as a failure, not a refusal", async () => {
    await expect(s.sql("SELECT no_such_column FROM events")).rejects.toThrow(SqlFailedError);
    await expect(s.sql("SELEC 1")).rejects.toMatchObject({ code: "sql-failed" });
  });
});

describe("a case file another process holds", () => {
  let holder: ChildProcess | undefined;
  afterAll(() => {
    if (holder && holder.exitCode === null) holder.kill();
  });

  it("should say it is locked, by whom, not throw DuckDB's error", async () => {
    holder = await holdCase(sample.db);
    const error = await openCase(sample.db).then(
      (x) => {
        x.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CaseFileError);
    expect(error).toMatchObject({ code: "case-locked", path: sample.db });
    expect((error as Error).message).toMatch(
      new RegExp(`open in another process \\(PID ${holder.pid}\\)`),
    );
    holder.kill();
    await new Promise((resolve) => holder!.once("exit", resolve));
    // Once it lets go, the case opens again.
    const again = await openCase(sample.db);
    again.close();
  });
});
