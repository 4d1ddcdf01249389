/**
 * The seed, run into databases of its own (the app's and the demo's on PostgreSQL, the demo's
 * on MariaDB, all dropped at the end with the readers it creates): what it writes is exactly
 * what the pure builders in prisma/demo describe, the awkward values survive the round trip,
 * running it again changes nothing, and the demo sources' SQL cannot read the app's data.
 */
import { randomBytes } from "node:crypto";

import { PrismaPg } from "@prisma/adapter-pg";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { DEMO_TEAM_ID, DEMO_USERS, OTHER_TEAM_ID } from "../prisma/demo/accounts";
import { defaultDemoPostgresUrl, mysqlReaderUrl, postgresReaderUrl, readerName } from "../prisma/demo/demo-databases";
import { DEMO_METRICS_ROW_COUNT, demoMetricRows, type DemoMetricRow } from "../prisma/demo/metrics-data";
import { DEMO_METRIC_IDS, DEMO_SOURCE_IDS } from "../prisma/demo/sources";
import { DEMO_GROUP_IDS, DEMO_VISITS_END, demoVisitRecords } from "../prisma/demo/visits";
import { seed, type SeedSummary } from "../prisma/seed";
import { failure } from "./support/assertions";
import { TEST_DATABASE_URL, TEST_MYSQL_ADMIN_URL, TEST_POSTGRES_ADMIN_URL, withDatabase } from "./support/test-env";
import { migrate } from "../scripts/db-migrate";
import { PrismaClient } from "~/generated/prisma/client";
import { verifyPassword } from "~/server/auth/password";
import { type AppError } from "~/server/errors";
import { createSourceAdapter, postgresTarget, type SourceAdapter } from "~/server/sources";
import { APP_DATABASE_REFUSED } from "~/server/sources/source-target";
import { drain } from "~/server/sources/__fixtures__/drain";
import { openJson, sealJson } from "~/server/vault";

const suffix = randomBytes(6).toString("hex");
const pgDatabase = `export_center_seed_${suffix}`;
const mysqlDatabase = `export_center_seed_${suffix}`;
const mysqlUrl = withDatabase(TEST_MYSQL_ADMIN_URL, mysqlDatabase);
const databaseUrl = withDatabase(TEST_DATABASE_URL, pgDatabase);
const demoUrl = defaultDemoPostgresUrl(databaseUrl);
const pgDemoDatabase = `${pgDatabase}_demo`;
const vaultKey = process.env.VAULT_KEY!;
/** The reader logins the demo sources are sealed with. */
const pgReaderUrl = (key = vaultKey) => postgresReaderUrl(demoUrl, key);
const mysqlReader = (key = vaultKey) => mysqlReaderUrl(mysqlUrl, key);

let db: PrismaClient;
let client: pg.Client;
let demoClient: pg.Client;
let mysqlConnection: mysql.Connection;
let first: SeedSummary;
const logs: string[] = [];

const seedOnce = (overrides: { mysqlUrl?: string; vaultKey?: string } = {}) =>
  seed({ databaseUrl, mysqlUrl, vaultKey, log: (line) => logs.push(line), ...overrides });

/** Every public table's rows, digested, in both PostgreSQL databases, plus the MariaDB table's checksum: any write shows. */
async function snapshot() {
  const digests: Record<string, string> = {};
  for (const [prefix, on] of [["app", client], ["demo", demoClient]] as const) {
    const { rows: tables } = await on.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
    for (const { name } of tables) {
      const { rows } = await on.query<{ digest: string }>(
        `SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${name}" t`,
      );
      digests[`${prefix}.${name}`] = rows[0]!.digest;
    }
  }
  const [checksum] = await mysqlConnection.query(`CHECKSUM TABLE demo_metrics`);
  return { digests, mysql: checksum };
}

beforeAll(async () => {
  await migrate(databaseUrl);
  first = await seedOnce();
  db = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
  client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  demoClient = new pg.Client({ connectionString: demoUrl });
  await demoClient.connect();
  mysqlConnection = await mysql.createConnection({
    uri: mysqlUrl,
    charset: "utf8mb4_unicode_ci",
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
}, 120_000);

afterAll(async () => {
  await db?.$disconnect();
  await client?.end();
  await demoClient?.end();
  await mysqlConnection?.query(`DROP DATABASE IF EXISTS \`${mysqlDatabase}\``);
  await mysqlConnection?.query(`DROP USER IF EXISTS '${readerName(mysqlDatabase)}'@'%'`);
  await mysqlConnection?.end();
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${pgDatabase}" WITH (FORCE)`);
  await admin.query(`DROP DATABASE IF EXISTS "${pgDemoDatabase}" WITH (FORCE)`);
  await admin.query(`DROP ROLE IF EXISTS "${readerName(pgDemoDatabase)}"`);
  await admin.end();
});

describe("the demo_metrics rows", () => {
  const expected = demoMetricRows();

  it("cover every awkward case the CSV writer must handle", () => {
    const labels = expected.map((r) => r.label);
    expect(labels).toContain(null);
    expect(labels).toContain("");
    for (const fragment of ['"', ",", "\r\n", "🚀", "ü"]) expect(labels.some((l) => l?.includes(fragment)), fragment).toBe(true);
    for (const prefix of ["=", "+", "-", "@", "\t", "\r"]) expect(labels.some((l) => l?.startsWith(prefix)), prefix).toBe(true);
    expect(expected.some((r) => r.amount?.split(".")[0]?.replace("-", "").length === 20)).toBe(true);
    expect(expected.some((r) => r.amount?.startsWith("-"))).toBe(true);
    expect(expected.some((r) => r.quantity !== null && BigInt(r.quantity) > BigInt(Number.MAX_SAFE_INTEGER))).toBe(true);
    expect(expected.some((r) => r.quantity?.startsWith("-"))).toBe(true);
    for (const column of ["amount", "quantity", "is_active", "payload"] as const) {
      expect(expected.some((r) => r[column] === null), column).toBe(true);
    }
    expect(demoMetricRows(3)).toEqual(expected.slice(0, 3));
  });

  it("are in PostgreSQL's demo database exactly as generated, and not in the app's", async () => {
    expect(first.demoMetricRows.postgres).toBe(DEMO_METRICS_ROW_COUNT);
    const { rows } = await demoClient.query<DemoMetricRow>("SELECT * FROM demo_metrics ORDER BY id");
    expect(rows).toEqual(expected);
    expect((await client.query("SELECT to_regclass('demo_metrics') AS t")).rows).toEqual([{ t: null }]);
  });

  it("are in MariaDB exactly as generated", async () => {
    expect(first.demoMetricRows.mysql).toBe(DEMO_METRICS_ROW_COUNT);
    const [rows] = await mysqlConnection.query<mysql.RowDataPacket[]>("SELECT * FROM demo_metrics ORDER BY id");
    const normalised = rows.map((r) => ({
      ...r,
      is_active: r.is_active === null ? null : r.is_active === 1,
      // MariaDB stores JSON as text; mysql2 parses it when the server flags the column as JSON.
      payload: typeof r.payload === "string" ? (JSON.parse(r.payload) as unknown) : r.payload,
      recorded_at: new Date(`${String(r.recorded_at).replace(" ", "T")}Z`),
    }));
    expect(normalised).toEqual(expected);
  });
});

describe("the seeded app data", () => {
  it("has two teams, their users with the documented passwords, and no cross-team membership", async () => {
    expect(first).toMatchObject({ demoTeamId: DEMO_TEAM_ID, otherTeamId: OTHER_TEAM_ID });
    const teams = await db.team.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true } });
    expect(teams).toEqual([
      { id: DEMO_TEAM_ID, name: "Demo Team" },
      { id: OTHER_TEAM_ID, name: "Other Team" },
    ]);
    for (const [key, spec] of Object.entries(DEMO_USERS)) {
      const user = await db.user.findUniqueOrThrow({ where: { email: spec.email }, include: { memberships: true } });
      expect(user.id).toBe(first.userIds[key as keyof typeof DEMO_USERS]);
      expect(user.name).toBe(spec.name);
      expect(await verifyPassword(spec.password, user.passwordHash!)).toBe(true);
      expect(user.memberships.map((m) => ({ teamId: m.teamId, role: m.role }))).toEqual([{ teamId: spec.teamId, role: spec.role }]);
    }
    expect(logs.join("\n")).toContain(`Demo Team ${DEMO_TEAM_ID} (demo@example.com ${first.userIds.demo}`);
  });

  it("has data sources whose sealed credentials open to the demo databases' readers", async () => {
    const sources = await db.dataSource.findMany({ orderBy: { id: "asc" } });
    expect(sources.map((s) => [s.id, s.teamId, s.name, s.type])).toEqual([
      [DEMO_SOURCE_IDS.mariadb, DEMO_TEAM_ID, "Demo MariaDB", "MYSQL"],
      [DEMO_SOURCE_IDS.otherPostgres, OTHER_TEAM_ID, "Other PostgreSQL", "POSTGRES"],
      [DEMO_SOURCE_IDS.postgres, DEMO_TEAM_ID, "Demo PostgreSQL", "POSTGRES"],
    ]);
    const credentials = Object.fromEntries(sources.map((s) => [s.id, openJson(s.encryptedCredentials!, vaultKey)]));
    expect(credentials).toEqual({
      [DEMO_SOURCE_IDS.postgres]: { url: pgReaderUrl() },
      [DEMO_SOURCE_IDS.otherPostgres]: { url: pgReaderUrl() },
      [DEMO_SOURCE_IDS.mariadb]: { url: mysqlReader() },
    });
    expect(new URL(pgReaderUrl())).toMatchObject({ username: readerName(pgDemoDatabase), pathname: `/${pgDemoDatabase}` });
    expect(new URL(mysqlReader())).toMatchObject({ username: readerName(mysqlDatabase), pathname: `/${mysqlDatabase}` });
    expect(new URL(pgReaderUrl()).password).toMatch(/^[0-9a-f]{64}$/);
    expect(sources.every((s) => !s.encryptedCredentials!.includes("postgres"))).toBe(true);
  });

  it("has the metrics the export tests use, and their SQL runs as intended, as the readers", async () => {
    const metrics = await db.metric.findMany({ where: { teamId: DEMO_TEAM_ID } });
    expect(metrics.map((m) => m.name).sort()).toEqual([
      "Broken query",
      "Demo metrics (MariaDB)",
      "Demo metrics (all rows)",
      "Revenue by day",
      "Slow query (30 s)",
    ]);
    const sql = (id: string) => metrics.find((m) => m.id === id)!.sql;
    expect(sql(DEMO_METRIC_IDS.slow)).toBe("SELECT pg_sleep(30), 1 AS done");
    const reader = new pg.Client({ connectionString: pgReaderUrl() });
    await reader.connect();
    try {
      const revenue = await reader.query<{ orders: string }>(sql(DEMO_METRIC_IDS.revenueByDay));
      expect(revenue.rows.reduce((sum, r) => sum + Number(r.orders), 0)).toBe(DEMO_METRICS_ROW_COUNT);
      await expect(reader.query(sql(DEMO_METRIC_IDS.broken))).rejects.toThrow(/no_such_table/);
      expect((await reader.query(sql(DEMO_METRIC_IDS.slow).replace("30", "0.01"))).rows).toEqual([{ pg_sleep: "", done: 1 }]);
    } finally {
      await reader.end();
    }
    const mysqlReaderConnection = await mysql.createConnection({ uri: mysqlReader() });
    try {
      const [rows] = await mysqlReaderConnection.query<mysql.RowDataPacket[]>(sql(DEMO_METRIC_IDS.mariadbAllRows));
      expect(rows).toHaveLength(DEMO_METRICS_ROW_COUNT);
    } finally {
      await mysqlReaderConnection.end();
    }
    expect(await db.metric.count({ where: { teamId: OTHER_TEAM_ID } })).toBe(1);
  });

  it("has the documents, dataroom, groups, links, views and page views the builder describes", async () => {
    const expected = demoVisitRecords();
    expect(first).toMatchObject({ views: expected.views.length, pageViews: expected.pageViews.length });
    expect(expected.views.length).toBeGreaterThanOrEqual(300);
    expect(await db.documentVersion.count()).toBe(expected.versions.length);
    expect(await db.dataroomDocument.count()).toBe(expected.dataroomDocuments.length);
    expect(await db.link.count()).toBe(expected.links.length);
    expect(await db.pageView.count()).toBe(expected.pageViews.length);

    const views = await db.view.findMany({ orderBy: { id: "asc" } });
    expect(views).toEqual(
      expected.views
        .map((v) => ({ dataroomId: null, groupId: null, customFields: null, ...v }))
        .sort((a, b) => a.id!.localeCompare(b.id!)),
    );
    expect(views.map((v) => v.customFields)).toContainEqual({ company: "Acme, Inc.", role: "=CFO" });
  });

  it("keeps the visits consistent: versions, dataroom documents, group links and members, page numbers, dates", async () => {
    const dataroom = await db.dataroom.findFirstOrThrow({
      where: { name: "Series A Dataroom" },
      include: { documents: true, groups: { include: { members: true, links: true } } },
    });
    const inDataroom = new Set(dataroom.documents.map((d) => d.documentId));
    expect(inDataroom.size).toBeGreaterThanOrEqual(3);
    expect(dataroom.groups.map((g) => g.name).sort()).toEqual(["Investors", "Legal"]);

    const views = await db.view.findMany({ include: { documentVersion: true, link: true, pageViews: true } });
    for (const view of views) {
      expect(view.documentVersion?.documentId, view.id).toBe(view.documentId);
      expect(view.pageViews.length, view.id).toBeGreaterThan(0);
      expect(Math.max(...view.pageViews.map((p) => p.pageNumber)), view.id).toBeLessThanOrEqual(view.documentVersion!.numPages);
      expect(view.viewedAt.getTime()).toBeLessThanOrEqual(DEMO_VISITS_END.getTime());
      expect(view.viewedAt.getTime()).toBeGreaterThanOrEqual(DEMO_VISITS_END.getTime() - 30 * 24 * 3600 * 1000);
      if (view.dataroomId) expect(inDataroom.has(view.documentId), view.id).toBe(true);
      if (view.groupId) {
        const group = dataroom.groups.find((g) => g.id === view.groupId)!;
        expect(view.link?.groupId, view.id).toBe(view.groupId);
        expect(group.members.map((m) => m.email), view.id).toContain(view.viewerEmail);
      }
    }
    for (const groupId of Object.values(DEMO_GROUP_IDS)) {
      expect(views.filter((v) => v.groupId === groupId).length, groupId).toBeGreaterThan(10);
    }
    expect(views.filter((v) => v.dataroomId && !v.groupId).length).toBeGreaterThan(10);
    expect(views.filter((v) => !v.dataroomId).length).toBeGreaterThan(10);
  });

  it("fills every column of the visit files: downloads, verification, the agreement, user agents, dataroom visits of several documents", async () => {
    const views = await db.view.findMany({ include: { pageViews: true, agreement: true, dataroomVisit: true } });
    expect(views.filter((v) => v.downloadedAt).length).toBeGreaterThan(10);
    expect(views.filter((v) => v.verified).length).toBeGreaterThan(10);
    expect(views.filter((v) => v.agreement?.name && v.agreementAcceptedAt).length).toBeGreaterThan(10);
    for (const view of views) {
      for (const page of view.pageViews) expect([page.browser, page.os, page.device, page.country], page.id).not.toContain(null);
      if (view.dataroomId) expect(view.dataroomVisit?.viewerEmail, view.id).toBe(view.viewerEmail);
    }
    const visits = await db.dataroomVisit.findMany({ include: { _count: { select: { views: true } } } });
    expect(visits.filter((v) => v._count.views >= 2).length).toBeGreaterThan(10);
    expect(visits.filter((v) => v.downloadedAt).length).toBeGreaterThan(0);
  });
});

describe("seeding again", () => {
  it("changes nothing, also when MariaDB is unreachable (which is only a warning)", async () => {
    const before = await snapshot();
    const second = await seedOnce();
    expect(second).toEqual({ ...first, durationMs: second.durationMs });
    expect(await snapshot()).toEqual(before);

    logs.length = 0;
    const withoutMysql = await seedOnce({ mysqlUrl: "mysql://root@127.0.0.1:1/export_center_nowhere" });
    expect(withoutMysql.demoMetricRows).toEqual({ postgres: DEMO_METRICS_ROW_COUNT, mysql: null });
    expect(logs.join("\n")).toMatch(/warning: MariaDB\/MySQL at 127\.0\.0\.1:1 is not reachable/);
    expect(await snapshot()).toEqual(before);
  });

  it("seals the demo credentials again when they were sealed with another vault key", async () => {
    const sealedUrls = async (key: string) => {
      const sources = await db.dataSource.findMany({ where: { id: { in: Object.values(DEMO_SOURCE_IDS) } }, orderBy: { id: "asc" } });
      return sources.map((s) => openJson(s.encryptedCredentials!, key));
    };
    const expected = (key: string) => [{ url: mysqlReader(key) }, { url: pgReaderUrl(key) }, { url: pgReaderUrl(key) }];
    const otherKey = randomBytes(32).toString("hex");

    await seedOnce({ vaultKey: otherKey });
    expect(await sealedUrls(otherKey)).toEqual(expected(otherKey));
    await seedOnce();
    expect(await sealedUrls(vaultKey)).toEqual(expected(vaultKey));
  });

  it("replaces the former credentials, which were the app's own database and MariaDB's root", async () => {
    await db.dataSource.update({ where: { id: DEMO_SOURCE_IDS.postgres }, data: { encryptedCredentials: sealJson({ url: databaseUrl }, vaultKey) } });
    await db.dataSource.update({ where: { id: DEMO_SOURCE_IDS.mariadb }, data: { encryptedCredentials: sealJson({ url: mysqlUrl }, vaultKey) } });
    await seedOnce();
    const opened = async (id: string) => openJson((await db.dataSource.findUniqueOrThrow({ where: { id } })).encryptedCredentials!, vaultKey);
    expect(await opened(DEMO_SOURCE_IDS.postgres)).toEqual({ url: pgReaderUrl() });
    expect(await opened(DEMO_SOURCE_IDS.mariadb)).toEqual({ url: mysqlReader() });
  });
});

describe("the demo sources, as a member's metric uses them", () => {
  const policy = {
    allowPrivateNetworks: true,
    overrideSetting: "DATA_SOURCE_ALLOW_PRIVATE_NETWORKS",
    appDatabase: postgresTarget({ url: databaseUrl }),
  };
  let postgresSource: SourceAdapter;
  let mysqlSource: SourceAdapter;

  beforeAll(async () => {
    const sealed = async (id: string) => openJson((await db.dataSource.findUniqueOrThrow({ where: { id } })).encryptedCredentials!, vaultKey);
    postgresSource = await createSourceAdapter("POSTGRES", await sealed(DEMO_SOURCE_IDS.postgres), policy);
    mysqlSource = await createSourceAdapter("MYSQL", await sealed(DEMO_SOURCE_IDS.mariadb), policy);
  });

  afterAll(async () => {
    await postgresSource?.close();
    await mysqlSource?.close();
  });

  it("read the demo table", async () => {
    const result = await postgresSource.query({ sql: "SELECT count(*) AS n FROM demo_metrics", maxRows: 1, statementTimeoutMs: 5_000 });
    const batches: unknown[][][] = [];
    for await (const batch of result.batches) batches.push(batch);
    expect(batches).toEqual([[[String(DEMO_METRICS_ROW_COUNT)]]]);
  });

  it("cannot read the app's users, its sealed credentials, or any other table of the app's database", async () => {
    const attempts: [string, RegExp][] = [
      [`SELECT email, "passwordHash" FROM "User"`, /^relation "User" does not exist/],
      [`SELECT * FROM "DataSource"`, /^relation "DataSource" does not exist/],
      [`SELECT * FROM "Membership"`, /^relation "Membership" does not exist/],
      [`SELECT * FROM "${pgDatabase}".public."User"`, /^cross-database references are not implemented/],
      [`SELECT * FROM dblink('dbname=${pgDatabase}', 'SELECT email FROM "User"') AS t(email text)`, /^function dblink\(unknown, unknown\) does not exist/],
      [`SELECT pg_read_file('/etc/passwd')`, /^permission denied for function pg_read_file/],
      [`SELECT rolpassword FROM pg_authid`, /^permission denied for table pg_authid/],
      [`SELECT * FROM pg_ls_dir('.')`, /^permission denied for function pg_ls_dir/],
    ];
    for (const [sql, message] of attempts) {
      const error: AppError = await failure(drain(postgresSource, sql));
      expect(error.code, sql).toBe("QUERY_FAILED");
      expect(error.message, sql).toMatch(message);
    }
  });

  it("log in as a role that cannot create anything, nor connect to the app's database", async () => {
    const role = readerName(pgDemoDatabase);
    const { rows } = await client.query(
      `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,
              has_database_privilege($1, $2, 'CREATE') AS create_schema, has_database_privilege($1, $2, 'TEMP') AS temp,
              has_database_privilege($1, $3, 'CONNECT') AS connect_app,
              (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS memberships
       FROM pg_roles r WHERE rolname = $1`,
      [role, pgDemoDatabase, pgDatabase],
    );
    expect(rows).toEqual([{ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, create_schema: false, temp: false, connect_app: false, memberships: 0 }]);
    const inDemo = await demoClient.query("SELECT has_schema_privilege($1, 'public', 'CREATE') AS c", [role]);
    expect(inDemo.rows).toEqual([{ c: false }]);

    // With the reader's own login, straight at the app's database, past every app-side check.
    const direct = new pg.Client({ connectionString: withDatabase(pgReaderUrl(), pgDatabase) });
    const refused = await direct.connect().then(() => null, (e: { code?: string; message: string }) => e);
    await direct.end().catch(() => undefined);
    expect(refused).toMatchObject({ code: "42501", message: expect.stringMatching(/^permission denied for database/) });
  });

  it("cannot be pointed at the app's database with the reader's login either", async () => {
    const pointed = await createSourceAdapter("POSTGRES", { url: withDatabase(pgReaderUrl(), pgDatabase) }, policy);
    const error = await failure(pointed.test());
    expect(error).toMatchObject({ code: "BAD_REQUEST", message: APP_DATABASE_REFUSED });
  });

  it("on MariaDB, read the demo database only", async () => {
    const attempts: [string, RegExp][] = [
      ["SELECT * FROM mysql.user", /^SELECT command denied to user/],
      ["SELECT * FROM test.t", /^SELECT command denied to user|^Table 'test.t' doesn't exist/],
    ];
    for (const [sql, message] of attempts) {
      const error = await failure(drain(mysqlSource, sql));
      expect(error.code, sql).toBe("QUERY_FAILED");
      expect(error.message, sql).toMatch(message);
    }
    const databases = await mysqlSource.query({ sql: "SHOW DATABASES", maxRows: 100, statementTimeoutMs: 5_000 });
    const names: unknown[] = [];
    for await (const batch of databases.batches) names.push(...batch.map((row) => row[0]));
    expect(names.sort()).toEqual(["information_schema", mysqlDatabase].sort());
    const file = await mysqlSource.query({ sql: "SELECT LOAD_FILE('/etc/passwd') AS f", maxRows: 1, statementTimeoutMs: 5_000 });
    for await (const batch of file.batches) expect(batch).toEqual([[null]]);
  });
});
