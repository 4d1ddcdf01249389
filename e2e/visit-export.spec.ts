import { expect, type Page, test } from "@playwright/test";

import { newestExport, startVisitExport, status } from "./support/exports";
import { query, readCsv } from "./support/services";
import { signInAsDemo } from "./support/session";

// Seeded in prisma/demo/visits.ts.
const DATAROOM = { id: "seed_dataroom_series_a", name: "Series A Dataroom" };
const GROUP = { name: "Investors" };

type ViewRow = { viewerEmail: string | null; viewedAt: Date };

/** Views as the file lists them, one row each, oldest first: who and when. */
async function viewsInDatabase(where: string, params: unknown[]): Promise<string[][]> {
  const rows = await query<ViewRow>(`SELECT v."viewerEmail", v."viewedAt" FROM "View" v WHERE ${where} ORDER BY v."viewedAt", v.id`, params);
  return rows.map((r) => [r.viewerEmail ?? "", r.viewedAt.toISOString()]);
}

/** Starts the export, waits for it to complete and returns the rows of the CSV the export center downloaded by itself. */
async function exportAndDownload(page: Page, choice: RegExp, label: string, views: number): Promise<string[][]> {
  const download = page.waitForEvent("download", { timeout: 30_000 });
  const summary = await startVisitExport(page, choice, label);
  const count = views.toLocaleString("en-US");
  expect(summary).toContain(`Export all ${count} views`);

  const row = newestExport(page);
  await expect(status(row, "Completed")).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText(`${count} views`);
  const records = await readCsv(await download);
  return records.map((r) => [r["Visitor Email"]!, r["Document Viewed At"]!]);
}

test("a dataroom's visits export to a CSV with one row per view", async ({ page }) => {
  const expected = await viewsInDatabase(`v."dataroomId" = $1`, [DATAROOM.id]);
  expect(expected.length).toBeGreaterThan(0);

  await signInAsDemo(page);
  const rows = await exportAndDownload(page, new RegExp(`^${DATAROOM.name} Whole dataroom`), DATAROOM.name, expected.length);
  expect(rows).toEqual(expected);
});

test("a dataroom group's visits export to a CSV with the group's views only", async ({ page }) => {
  // A group's views, as the app defines them (src/server/exports/visits/visit-query.ts): those in
  // its dataroom by its members, through its links, or recorded against the group itself.
  const expected = await viewsInDatabase(
    `v."dataroomId" = $2 AND EXISTS (
       SELECT 1 FROM "DataroomGroup" g WHERE g.name = $1 AND g."dataroomId" = v."dataroomId" AND (
         v."groupId" = g.id
         OR v."linkId" IN (SELECT id FROM "Link" WHERE "groupId" = g.id)
         OR lower(v."viewerEmail") IN (SELECT lower(email) FROM "DataroomGroupMember" WHERE "groupId" = g.id)))`,
    [GROUP.name, DATAROOM.id],
  );
  const [all] = await query<{ count: string }>(`SELECT count(*) FROM "View" WHERE "dataroomId" = $1`, [DATAROOM.id]);
  expect(expected.length).toBeGreaterThan(0);
  expect(expected.length).toBeLessThan(Number(all!.count));

  await signInAsDemo(page);
  const rows = await exportAndDownload(page, new RegExp(`^${GROUP.name} Group in ${DATAROOM.name}`), `${DATAROOM.name} — ${GROUP.name}`, expected.length);
  expect(rows).toEqual(expected);
});
