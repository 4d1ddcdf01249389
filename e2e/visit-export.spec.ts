import { expect, type Page, test } from "@playwright/test";

import { newestExport, startVisitExport, status } from "./support/exports";
import { query, readCsv } from "./support/services";
import { signInAsDemo } from "./support/session";

// Seeded in prisma/demo/visits.ts.
const DATAROOM = { id: "seed_dataroom_series_a", name: "Series A Dataroom" };
const GROUP = { name: "Investors" };

async function countViews(sql: string, params: unknown[]): Promise<number> {
  const [row] = await query<{ count: string }>(sql, params);
  return Number(row!.count);
}

/** Starts the export, waits for it to complete and returns the CSV the export center downloaded by itself. */
async function exportAndDownload(page: Page, choice: RegExp, label: string, views: number) {
  const download = page.waitForEvent("download", { timeout: 30_000 });
  const summary = await startVisitExport(page, choice, label);
  expect(summary).toContain(`Export all ${views.toLocaleString("en-US")} views`);

  const row = newestExport(page);
  await expect(status(row, "Completed")).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText(`${views.toLocaleString("en-US")} views`);
  return readCsv(await download);
}

test("a dataroom's visits export to a CSV with one row per view", async ({ page }) => {
  const views = await countViews(`SELECT count(*) FROM "View" WHERE "dataroomId" = $1`, [DATAROOM.id]);
  expect(views).toBeGreaterThan(0);

  await signInAsDemo(page);
  const records = await exportAndDownload(page, new RegExp(`^${DATAROOM.name} Whole dataroom`), DATAROOM.name, views);
  expect(records).toHaveLength(views);
});

test("a dataroom group's visits export to a CSV with the group's views only", async ({ page }) => {
  // A group's views, as the app defines them (src/server/exports/visits/visit-query.ts): those in
  // its dataroom by its members, through its links, or recorded against the group itself.
  const views = await countViews(
    `SELECT count(*) FROM "View" v JOIN "DataroomGroup" g ON g."dataroomId" = v."dataroomId"
     WHERE g.name = $1 AND g."dataroomId" = $2 AND (
       v."groupId" = g.id
       OR v."linkId" IN (SELECT id FROM "Link" WHERE "groupId" = g.id)
       OR lower(v."viewerEmail") IN (SELECT lower(email) FROM "DataroomGroupMember" WHERE "groupId" = g.id))`,
    [GROUP.name, DATAROOM.id],
  );
  const all = await countViews(`SELECT count(*) FROM "View" WHERE "dataroomId" = $1`, [DATAROOM.id]);
  expect(views).toBeGreaterThan(0);
  expect(views).toBeLessThan(all);

  await signInAsDemo(page);
  const records = await exportAndDownload(page, new RegExp(`^${GROUP.name} Group in ${DATAROOM.name}`), `${DATAROOM.name} — ${GROUP.name}`, views);
  expect(records).toHaveLength(views);
});
