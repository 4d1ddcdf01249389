/**
 * The seed, run into a database of its own (PostgreSQL and MariaDB, both dropped at the
 * end): what it writes is exactly what the pure builders in prisma/demo describe, the
 * awkward values survive the round trip, and running it again changes nothing.
 */
import { randomBytes } from "node:crypto";

import { PrismaPg } from "@prisma/adapter-pg";
import mysql from "mysql2/promise";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { DEMO_TEAM_ID, DEMO_USERS, OTHER_TEAM_ID } from "../prisma/demo/accounts";
import { DEMO_METRICS_ROW_COUNT, demoMetricRows, type DemoMetricRow } from "../prisma/demo/metrics-data";
import { DEMO_METRIC_IDS, DEMO_SOURCE_IDS } from "../prisma/demo/sources";
import { DEMO_GROUP_IDS, DEMO_VISITS_END, demoVisitRecords } from "../prisma/demo/visits";
import { seed, type SeedSummary } from "../prisma/seed";
import { migrate } from "../scripts/db-migrate";
import { PrismaClient } from "~/generated/prisma/client";
import { verifyPassword } from "~/server/auth/password";
import { openJson } from "~/server/vault";

const suffix = randomBytes(6).toString("hex");
const pgDatabase = `export_center_seed_${suffix}`;
const mysqlDatabase = `export_center_seed_${suffix}`;
const MYSQL_SERVER = "mysql://root@127.0.0.1:3306";
const mysqlUrl = `${MYSQL_SERVER}/${mysqlDatabase}`;

function postgresUrl(database: string): string {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${database}`;
  return url.toString();
}
const databaseUrl = postgresUrl(pgDatabase);
const vaultKey = process.env.VAULT_KEY!;

let db: PrismaClient;
let client: pg.Client;
let mysqlConnection: mysql.Connection;
let first: SeedSummary;
const logs: string[] = [];

const seedOnce = (overrides: { mysqlUrl?: string; vaultKey?: string } = {}) =>
  seed({ databaseUrl, mysqlUrl, vaultKey, log: (line) => logs.push(line), ...overrides });

/** Every public table's rows, digested, plus the MariaDB table's checksum: any write shows. */
async function snapshot() {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
  );
  const digests: Record<string, string> = {};
  for (const { name } of tables) {
    const { rows } = await client.query<{ digest: string }>(
      `SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${name}" t`,
    );
    digests[name] = rows[0]!.digest;
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
  await mysqlConnection?.query(`DROP DATABASE IF EXISTS \`${mysqlDatabase}\``);
  await mysqlConnection?.end();
  const admin = new pg.Client({ connectionString: postgresUrl("postgres") });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${pgDatabase}" WITH (FORCE)`);
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

  it("are in PostgreSQL exactly as generated", async () => {
    expect(first.demoMetricRows.postgres).toBe(DEMO_METRICS_ROW_COUNT);
    const { rows } = await client.query<DemoMetricRow>("SELECT * FROM demo_metrics ORDER BY id");
    expect(rows).toEqual(expected);
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

  it("has data sources whose sealed credentials open to the demo databases", async () => {
    const sources = await db.dataSource.findMany({ orderBy: { id: "asc" } });
    expect(sources.map((s) => [s.id, s.teamId, s.name, s.type])).toEqual([
      [DEMO_SOURCE_IDS.mariadb, DEMO_TEAM_ID, "Demo MariaDB", "MYSQL"],
      [DEMO_SOURCE_IDS.otherPostgres, OTHER_TEAM_ID, "Other PostgreSQL", "POSTGRES"],
      [DEMO_SOURCE_IDS.postgres, DEMO_TEAM_ID, "Demo PostgreSQL", "POSTGRES"],
    ]);
    const credentials = Object.fromEntries(sources.map((s) => [s.id, openJson(s.encryptedCredentials!, vaultKey)]));
    expect(credentials).toEqual({
      [DEMO_SOURCE_IDS.postgres]: { url: databaseUrl },
      [DEMO_SOURCE_IDS.otherPostgres]: { url: databaseUrl },
      [DEMO_SOURCE_IDS.mariadb]: { url: mysqlUrl },
    });
    expect(sources.every((s) => !s.encryptedCredentials!.includes("postgres"))).toBe(true);
  });

  it("has the metrics the export tests use, and their SQL runs as intended", async () => {
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
    const revenue = await client.query<{ orders: string }>(sql(DEMO_METRIC_IDS.revenueByDay));
    expect(revenue.rows.reduce((sum, r) => sum + Number(r.orders), 0)).toBe(DEMO_METRICS_ROW_COUNT);
    await expect(client.query(sql(DEMO_METRIC_IDS.broken))).rejects.toThrow(/no_such_table/);
    const [rows] = await mysqlConnection.query<mysql.RowDataPacket[]>(sql(DEMO_METRIC_IDS.mariadbAllRows));
    expect(rows).toHaveLength(DEMO_METRICS_ROW_COUNT);
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
    const expected = [{ url: mysqlUrl }, { url: databaseUrl }, { url: databaseUrl }];
    const otherKey = randomBytes(32).toString("hex");

    await seedOnce({ vaultKey: otherKey });
    expect(await sealedUrls(otherKey)).toEqual(expected);
    await seedOnce();
    expect(await sealedUrls(vaultKey)).toEqual(expected);
  });
});
