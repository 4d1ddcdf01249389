/**
 * Visit exports end to end: the real `export-visits` function on the local executor, views
 * in PostgreSQL, and page durations from a local fake of Tinybird's pipe API (nothing real
 * can run Tinybird here) that answers 429 to any call that surely breaks its rate limit. The
 * limit itself is checked on the app's limiter's own record (Redis time).
 */
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { FAKE_TINYBIRD_TOKEN, type FakeTinybird, startFakeTinybird } from "../dev/fake-tinybird";
import { limitUse, recordLimiter } from "~/server/analytics/__fixtures__/limiter-record";
import { TINYBIRD_LIMITER_KEY_PREFIX, TINYBIRD_LIMITS } from "~/server/analytics/tinybird-limiter";
import { type ExportHarness, startExportHarness } from "./support/export-harness";
import type { SeededView } from "./support/visit-fixtures";
import { customFieldHeader, DATAROOM_HEADER } from "./support/visit-headers";

let tinybird: FakeTinybird;
let harness: ExportHarness;
let fixtures: typeof import("./support/fixtures");
let manage: typeof import("~/server/exports/manage-export");
let seedVisits: (typeof import("./support/visit-fixtures"))["seedVisits"];
let durationsOf: (typeof import("./support/visit-fixtures"))["durationsOf"];

beforeAll(async () => {
  tinybird = await startFakeTinybird({ latencyMs: 20 });
  harness = await startExportHarness({
    env: { TINYBIRD_TOKEN: FAKE_TINYBIRD_TOKEN, TINYBIRD_API_URL: tinybird.url, TINYBIRD_MODE: "per-view" },
  });
  fixtures = await import("./support/fixtures");
  manage = await import("~/server/exports/manage-export");
  ({ seedVisits, durationsOf } = await import("./support/visit-fixtures"));
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await tinybird?.close();
});

async function exportAndRead(start: () => Promise<{ exportId: string }>, teamId: string) {
  const { exportId } = await start();
  const job = await manage.waitForExport(teamId, exportId, { timeoutMs: 120_000 });
  expect(job.status, job.error).toBe("COMPLETED");
  const link = await manage.createDownloadLink(teamId, exportId);
  const rows = parse(await (await fetch(link.url)).text(), { bom: true }) as string[][];
  return { job, header: rows[0]!, rows: rows.slice(1) };
}

/** The headers of the same facts in a dataroom's file and in a document's (which names no document). */
const HEADERS = {
  dataroom: { email: "Visitor Email", name: "Visitor Name", viewedAt: "Document Viewed At", version: "Document Version", duration: "Total Visit Duration (s)" },
  document: { email: "Email", name: "Name", viewedAt: "Viewed at", version: "Document version", duration: "Total View Duration (s)" },
} as const;

function expectedRow(view: SeededView, documentName: string | null, headers: (typeof HEADERS)[keyof typeof HEADERS] = HEADERS.dataroom) {
  const totalMs = view.pages.reduce((s, p) => s + p.durationMs, 0);
  return {
    [headers.email]: view.email,
    [headers.name]: view.name.startsWith("=") ? `'${view.name}` : view.name,
    [headers.viewedAt]: view.viewedAt.toISOString(),
    ...(documentName === null ? {} : { "Document Name": documentName }),
    [headers.version]: "2",
    [headers.duration]: (totalMs / 1000).toFixed(3),
    "Pages viewed": String(view.pages.length),
    "Total pages": "8",
  };
}

/** Each row as header → cell, by the viewer's email. */
function rowsByEmail(header: string[], rows: string[][], emailHeader: string) {
  const at = header.indexOf(emailHeader);
  return new Map(rows.map((r) => [r[at], Object.fromEntries(header.map((h, i) => [h, r[i]]))]));
}

describe("export-visits", () => {
  it("exports a 100-view dataroom in per-view mode with zero 429s and the right durations", async () => {
    const seeded = await seedVisits({ views: 100 });
    tinybird.setDurations(durationsOf(seeded.views));
    tinybird.reset();
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
    const record = recordLimiter(TINYBIRD_LIMITER_KEY_PREFIX);
    const { header, rows, job } = await exportAndRead(() => trpc.visits.exportDataroom({ teamId: seeded.team.id, dataroomId: seeded.dataroom.id }), seeded.team.id).finally(
      () => record.stop(),
    );

    const stats = tinybird.stats();
    expect(stats.breaches).toEqual([]);
    expect(stats.sent429).toBe(0);
    expect(stats.callsByPipe).toEqual({ export_view_durations: 100, export_view_user_agents: 2 });
    // With 20 ms calls the 200 ms gap binds before the 5-wide limit does; that the limit is
    // used in parallel is shown with slower calls in src/server/analytics/tinybird-two-workers.serial.test.ts.
    const use = limitUse(record.events);
    expect(use.starts).toBe(102);
    expect(use.maxInFlight).toBeLessThanOrEqual(TINYBIRD_LIMITS.maxConcurrent);
    expect(use.minStartGapMs).toBeGreaterThanOrEqual(TINYBIRD_LIMITS.minGapMs);
    expect(job.file).toMatchObject({ rowCount: 100, truncated: false });

    expect(header).toEqual([...DATAROOM_HEADER, ...customFieldHeader(2)]);
    const byEmail = rowsByEmail(header, rows, "Visitor Email");
    for (const view of seeded.views) {
      expect(byEmail.get(view.email)).toMatchObject(expectedRow(view, seeded.document.name));
    }
    const first = byEmail.get("viewer1@example.test")!;
    expect(first).toMatchObject({
      "Custom Field 1 Label": "company",
      "Custom Field 1 Value": "Acme 1, Inc.",
      "Custom Field 2 Label": "role",
      "Custom Field 2 Value": "'=CFO",
      "Link Name": "Open link",
    });
  });

  it("exports only a group's views, and an empty group as a header-only file", async () => {
    const seeded = await seedVisits({ views: 12, groupEvery: 3 });
    tinybird.setDurations(durationsOf(seeded.views));
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
    const group = await exportAndRead(
      () => trpc.visits.exportGroup({ teamId: seeded.team.id, dataroomId: seeded.dataroom.id, groupId: seeded.investors.id }),
      seeded.team.id,
    );
    const email = group.header.indexOf("Visitor Email");
    expect(group.rows.map((r) => r[email]).sort()).toEqual(seeded.views.filter((v) => v.groupId).map((v) => v.email).sort());

    const empty = await exportAndRead(
      () => trpc.visits.exportGroup({ teamId: seeded.team.id, dataroomId: seeded.dataroom.id, groupId: seeded.legal.id }),
      seeded.team.id,
    );
    expect(empty.rows).toEqual([]);
    expect(empty.header[0]).toBe("Dataroom Viewed At");
    expect(empty.job.file?.rowCount).toBe(0);
  });

  it("retries Tinybird's 503s and still completes with correct data", async () => {
    const seeded = await seedVisits({ views: 10 });
    tinybird.setDurations(durationsOf(seeded.views));
    tinybird.reset();
    const flaky = seeded.views.slice(0, 3).map((v) => v.id);
    tinybird.injectFault({ viewIds: flaky, status: 503, times: 2 });
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
    const { rows, header } = await exportAndRead(() => trpc.visits.exportDocument({ teamId: seeded.team.id, documentId: seeded.document.id }), seeded.team.id);
    expect(tinybird.stats().faultsSent).toBeGreaterThanOrEqual(2);
    const byEmail = rowsByEmail(header, rows, HEADERS.document.email);
    for (const view of seeded.views) expect(byEmail.get(view.email)).toMatchObject(expectedRow(view, null, HEADERS.document));
  });

  it("refuses a group of another dataroom, and resources of another team, as not found", async () => {
    const seeded = await seedVisits({ views: 1 });
    const trpc = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
    const wrongRoom = await trpc.visits
      .exportGroup({ teamId: seeded.team.id, dataroomId: seeded.otherRoom.id, groupId: seeded.investors.id })
      .catch((e: { code?: string }) => e);
    expect((wrongRoom as { code?: string }).code).toBe("NOT_FOUND");
    const stranger = await fixtures.createTeamWithUser("OWNER");
    const foreign = await fixtures
      .trpcAs(fixtures.sessionCaller(stranger.user.id))
      .visits.exportDocument({ teamId: stranger.team.id, documentId: seeded.document.id })
      .catch((e: { code?: string }) => e);
    expect((foreign as { code?: string }).code).toBe("NOT_FOUND");
  });
});
