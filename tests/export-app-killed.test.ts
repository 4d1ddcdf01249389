/**
 * Issue 17's killed app, replayed: the app (the serve endpoint, in a child process) is
 * SIGKILLed while "query and upload" runs a metric's query, and comes back after 30 s. The
 * executor retries on Inngest's schedule (15 s, then 30 s, …, each plus jitter), so its next
 * attempts reach the restarted app; the run resumes after its last checkpoint ("load metric"
 * is not run again) and the export completes with one file holding the right rows.
 *
 * Every duration runs at a fifth (BACKOFF_SCALE): the app is down 6 s, the retries come
 * after 3–9 s and 6–12 s more. The old schedule (1 s, 2 s) gave up within 3.5 s.
 */
import { createHash } from "node:crypto";

import { GetObjectCommand } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { TEST_SOURCE_DATABASE_URL as PG_URL } from "./support/test-env";

const BACKOFF_SCALE = 0.2;
const OUTAGE_MS = 30_000 * BACKOFF_SCALE;
const ROWS = 500;

let harness: ExportHarness;
let app: typeof import("./support/export-app");

beforeAll(async () => {
  harness = await startExportHarness({ appInChildProcess: true, backoffScale: BACKOFF_SCALE, env: { EXPORT_FILE_TTL_SECONDS: "600" } });
  app = await import("./support/export-app");
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

it("resumes a metric export whose app was killed during \"query and upload\" and restarted 30 s later", async () => {
  const { getStorage } = await import("~/server/services");
  const { waitForExport } = await import("~/server/exports/manage-export");
  const team = await app.teamWithSource("POSTGRES", { url: PG_URL });

  // The query waits on an advisory lock that this test holds, so the kill lands mid-step.
  const gate = Math.floor(Math.random() * 2 ** 31);
  const lock = new pg.Client({ connectionString: PG_URL });
  await lock.connect();
  await lock.query("SELECT pg_advisory_lock($1)", [gate]);
  const metric = await team.metric(
    `SELECT g AS n, md5(g::text) AS h FROM generate_series(1, ${ROWS}) AS g, (SELECT pg_advisory_xact_lock_shared(${gate})) AS gate`,
  );
  const { exportId } = await team.trpc.metrics.export({ teamId: team.id, metricId: metric.id });
  const run = () => harness.executor.runs().find((r) => r.event.data.exportId === exportId && r.functionId.endsWith("export-metric-data"));

  try {
    await app.waitFor(() => app.activeQueries(`pg_advisory_xact_lock_shared(${gate})`), 30_000);
    await harness.killApp();
    const killedAt = Date.now();
    // The call in flight broke with the app; the executor counts it as a failed attempt.
    await app.waitFor(async () => (run()?.history ?? []).some((h) => h.status === "unreachable"), 10_000);
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + OUTAGE_MS - Date.now())));
    await harness.startApp();
  } finally {
    await lock.query("SELECT pg_advisory_unlock($1)", [gate]);
    await lock.end();
  }

  const job = await waitForExport(team.id, exportId, { timeoutMs: 60_000 });
  expect(job.status, job.error).toBe("COMPLETED");
  expect(job.file).toMatchObject({ rowCount: ROWS, truncated: false });

  const steps = run()!.history.map((h) => `${h.name}: ${h.status}`);
  expect(steps[0]).toBe("load metric: ok");
  expect(steps.filter((s) => s.startsWith("load metric"))).toHaveLength(1);
  expect(steps.filter((s) => s === "next step: unreachable").length).toBeGreaterThanOrEqual(1);
  expect(steps.filter((s) => s.startsWith("query and upload"))).toEqual(["query and upload: ok"]);

  expect(await harness.exportObjects(team.id)).toEqual([job.file!.key]);
  const object = await getStorage().client.send(new GetObjectCommand({ Bucket: harness.bucket, Key: job.file!.key }));
  const rows = parse(await object.Body!.transformToString()) as string[][];
  expect(rows[0]).toEqual(["n", "h"]);
  expect(rows.slice(1)).toEqual(Array.from({ length: ROWS }, (_, i) => [String(i + 1), createHash("md5").update(String(i + 1)).digest("hex")]));
}, 120_000);
