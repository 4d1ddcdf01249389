/**
 * npm run bench:visits — visit exports against the fake Tinybird (20 ms per call, 429 on any
 * breach of 5 in flight / 200 ms between starts):
 *   per-view mode, a dataroom of 300 views: one call per view, ceiling 5 calls/s (target ≥ 90%);
 *   batched mode, a dataroom of 5,000 views: up to 100 views per call (target < 30 s).
 * Prints wall time, calls/s, 429s and the worker's peak RSS.
 */
import { randomUUID } from "node:crypto";

import { FAKE_TINYBIRD_TOKEN, startFakeTinybird } from "../../dev/fake-tinybird";
import { startBenchRuntime } from "./bench-runtime";

const modes = [
  { mode: "per-view", views: Number(process.env.BENCH_PER_VIEW ?? 300) },
  { mode: "batched", views: Number(process.env.BENCH_BATCHED ?? 5000) },
] as const;

async function main() {
  const tinybird = await startFakeTinybird({ latencyMs: 20 });
  const runtime = await startBenchRuntime({ TINYBIRD_TOKEN: FAKE_TINYBIRD_TOKEN, TINYBIRD_API_URL: tinybird.url });
  const { db } = await import("~/server/db");
  const { startExport } = await import("~/server/exports/start-export");
  const { dataroomKind } = await import("~/server/exports/kinds/dataroom");
  const { inngestExportQueue } = await import("~/server/jobs/inngest-export-queue");
  const { waitForExport } = await import("~/server/exports/manage-export");

  for (const { mode, views } of modes) {
    const document = await db.document.create({ data: { teamId: runtime.team.id, name: `bench ${mode}` } });
    const dataroom = await db.dataroom.create({ data: { teamId: runtime.team.id, name: `bench ${mode} ${views}` } });
    const rows = Array.from({ length: views }, (_, i) => ({
      id: randomUUID(),
      documentId: document.id,
      dataroomId: dataroom.id,
      viewerEmail: `v${i}@example.test`,
      viewedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    }));
    await db.view.createMany({ data: rows });
    tinybird.setDurations(new Map(rows.map((r, i) => [r.id, [{ pageNumber: 1, durationMs: 1000 + i }]])));
    tinybird.reset();

    const worker = await runtime.startWorker({ TINYBIRD_MODE: mode });
    const started = process.hrtime.bigint();
    const job = await startExport(inngestExportQueue, { userId: runtime.user.id, teamId: runtime.team.id, channel: "CLIENT" }, dataroomKind, { dataroomId: dataroom.id }, { format: "csv" });
    const done = await waitForExport(runtime.team.id, job.id, { timeoutMs: 20 * 60_000 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (done.status !== "COMPLETED") throw new Error(`export ${done.status}: ${done.error}`);
    const rss = await worker.stop();
    const stats = tinybird.stats();
    const spanSeconds = stats.starts.length > 1 ? (stats.starts.at(-1)! - stats.starts[0]!) / 1000 : seconds;
    const callsPerSecond = (stats.calls - 1) / spanSeconds;
    const target = mode === "per-view" ? `${((callsPerSecond / 5) * 100).toFixed(0)}% of the 5 calls/s ceiling (target ≥ 90%)` : `target < 30 s: ${seconds < 30 ? "met" : "missed"}`;
    console.log(
      `${mode.padEnd(8)} ${views.toLocaleString().padStart(5)} views: ${seconds.toFixed(1)} s wall, ${stats.calls} calls, ` +
        `${callsPerSecond.toFixed(2)} calls/s between first and last call, ${stats.sent429} × 429, worker peak RSS ${rss.toFixed(0)} MB — ${target}`,
    );
  }
  await runtime.close();
  await tinybird.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
