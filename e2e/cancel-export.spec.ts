import { expect, test } from "@playwright/test";

import { newestExport, startMetricExport, status } from "./support/exports";
import { jobField, listObjects, queryDemo } from "./support/services";
import { signInAsDemo } from "./support/session";

const METRIC = "Slow query (30 s)";

/** The app's connections (application_name "export-center") running the slow metric's sleep, started since `since`. */
async function sleepingBackends(since: Date): Promise<number[]> {
  const rows = await queryDemo<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = 'export-center' AND state = 'active'
       AND query LIKE '%pg_sleep(30)%' AND query_start >= $1 AND pid <> pg_backend_pid()`,
    [since],
  );
  return rows.map((r) => r.pid);
}

test("cancelling a running export stops its query and leaves no file behind", async ({ page }) => {
  await signInAsDemo(page);
  const since = new Date(Date.now() - 1000);
  const exportId = await startMetricExport(page, METRIC);

  const row = newestExport(page);
  await expect(status(row, "Processing")).toBeVisible({ timeout: 15_000 });
  await expect(row.getByRole("progressbar", { name: `Progress of ${METRIC}` })).toBeVisible();
  await expect.poll(() => sleepingBackends(since), { message: "the metric's query runs in PostgreSQL" }).toHaveLength(1);
  const key = await jobField(exportId, "file_key");
  expect(key).toMatch(/^exports\/seed_team_demo\/(\d+s\/)?[0-9a-f]{32}\//);

  await row.getByRole("button", { name: "Cancel" }).click();
  await expect(status(row, "Cancelled")).toBeVisible();
  await expect(row).toContainText("Cancelled before it finished.");
  await expect(row.getByRole("button", { name: "Download" })).toBeDisabled();
  await expect(row.getByRole("button", { name: "Retry" })).toBeVisible();

  await expect.poll(() => sleepingBackends(since), { message: "the query is cancelled in PostgreSQL", timeout: 10_000 }).toEqual([]);
  // Everything of one export lives in its own folder (exports/<team>/<random>/<name>).
  expect(await listObjects(key!.slice(0, key!.lastIndexOf("/") + 1))).toEqual([]);
  // Still cancelled after a reload: the state is the server's, not only the page's.
  await page.reload();
  await expect(status(newestExport(page), "Cancelled")).toBeVisible();
});
