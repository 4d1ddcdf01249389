/**
 * How a metric export fails when its data source does, end to end on real services (the local
 * executor, s3rver, PostgreSQL, MariaDB, Redis) with a statement timeout short enough to meet:
 *
 * - a statement that runs past EXPORT_STATEMENT_TIMEOUT_MS is TIMEOUT (504 over REST), on
 *   PostgreSQL's COPY path and its cursor path, and on MariaDB;
 * - a stored source that points at the app's own database is refused when the export
 *   connects (400), even though it never went through `dataSources.create`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_DATABASE_URL, TEST_MYSQL_ADMIN_URL, TEST_SOURCE_DATABASE_URL } from "./support/test-env";

const STATEMENT_TIMEOUT_MS = 400;

let harness: ExportHarness;
let app: typeof import("./support/export-app");
let fixtures: typeof import("./support/fixtures");
let download: typeof import("~/app/api/v2/metric_files/[id]/download/route").GET;

beforeAll(async () => {
  harness = await startExportHarness({ env: { EXPORT_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) } });
  app = await import("./support/export-app");
  fixtures = await import("./support/fixtures");
  ({ GET: download } = await import("~/app/api/v2/metric_files/[id]/download/route"));
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/** The REST download of a metric, as Next.js calls the route handler. */
async function restDownload(team: Awaited<ReturnType<typeof app.teamWithSource>>, metricId: string) {
  const token = await fixtures.tokenFor(team.user.id, team.id);
  const response = await download(new Request("http://test/x", { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({ id: metricId }) });
  return { status: response.status, body: (await response.json()) as { code: string; message: string; exportId: string } };
}

describe("a statement that runs past the timeout", () => {
  const cases: [string, "POSTGRES" | "MYSQL", Record<string, unknown>, string][] = [
    // The COPY path: the metric's SELECT is wrapped and the server writes the CSV.
    ["PostgreSQL's COPY path", "POSTGRES", { url: TEST_SOURCE_DATABASE_URL }, "SELECT pg_sleep(5) AS slept"],
    // EXPLAIN cannot be wrapped in a SELECT, so it runs through the row-by-row cursor.
    ["PostgreSQL's cursor path", "POSTGRES", { url: TEST_SOURCE_DATABASE_URL }, "EXPLAIN ANALYZE SELECT pg_sleep(5)"],
    ["MariaDB", "MYSQL", { url: TEST_MYSQL_ADMIN_URL }, "SELECT SLEEP(5) AS slept"],
  ];
  for (const [what, type, credentials, sql] of cases) {
    it(`fails with TIMEOUT on ${what}: the job over tRPC, 504 over REST`, async () => {
      const team = await app.teamWithSource(type, credentials);
      const metric = await team.metric(sql);
      const job = await team.exportAndWait(metric.id);
      expect(job).toMatchObject({ status: "FAILED", errorCode: "TIMEOUT", error: expect.stringMatching(new RegExp(`^The query timed out after ${STATEMENT_TIMEOUT_MS} ms`)) });

      const rest = await restDownload(team, metric.id);
      expect(rest.status).toBe(504);
      expect(rest.body).toMatchObject({ code: "timeout", message: job.error, exportId: expect.any(String) });
    });
  }
});

describe("a stored source that is the app's own database", () => {
  it("is refused when the export connects: FAILED with BAD_REQUEST, 400 over REST", async () => {
    const team = await app.teamWithSource("POSTGRES", { url: TEST_SOURCE_DATABASE_URL });
    // As a source saved before the check existed: its credentials point at the app's database.
    const { db } = await import("~/server/db");
    const { sealJson } = await import("~/server/vault");
    const { getEnv } = await import("~/env");
    await db.dataSource.update({ where: { id: team.source.id }, data: { encryptedCredentials: sealJson({ url: TEST_DATABASE_URL }, getEnv().VAULT_KEY) } });
    const metric = await team.metric('SELECT email, "passwordHash" FROM "User"');

    const job = await team.exportAndWait(metric.id);
    expect(job).toMatchObject({ status: "FAILED", errorCode: "BAD_REQUEST", error: expect.stringMatching(/^This data source points at Export Center's own database/) });
    const rest = await restDownload(team, metric.id);
    expect(rest.status).toBe(400);
    expect(rest.body.code).toBe("bad_request");
  });
});
