import { expect, test } from "@playwright/test";

import { announcements, isTrpcCall, newestExport, startMetricExport, status, trpcResult } from "./support/exports";
import { query, queryDemo, readCsv } from "./support/services";
import { DEMO_TEAM_ID, signInAsDemo } from "./support/session";

const METRIC = "Demo metrics (all rows)";
const SMALL_METRIC = "Revenue by day";

type DemoMetric = { id: number; label: string | null; category: string; amount: string | null; quantity: string | null; is_active: boolean | null; payload: unknown; recorded_at: Date };

/** The first rows hold the awkward cases (quotes, commas, CR/LF, Unicode, emoji, NULLs); from row 7 on come formula cells, which the file neutralises. */
const COMPARED_ROWS = 6;

test("a metric export completes and downloads a CSV of the source rows, then again on request", async ({ page }) => {
  await signInAsDemo(page);
  // The export center fetches the user's own export by itself when it completes.
  const autoDownload = page.waitForEvent("download", { timeout: 45_000 });
  await startMetricExport(page, METRIC);

  const row = newestExport(page);
  await expect(status(row, "Pending").or(status(row, "Processing")).or(status(row, "Completed"))).toBeVisible();
  // 5,000 rows take well under a second here, too fast to catch the bar moving (the cancel test
  // sees a running one); what is checked is where status changes are announced, and the end.
  await expect(announcements(page)).toBeAttached();
  await expect(status(row, "Completed")).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText("5,000 rows");
  await expect(page.getByRole("status")).toContainText(`Your export “${METRIC}” is ready — downloading.`);

  const download = await autoDownload;
  expect(download.suggestedFilename()).toMatch(/^Demo_metrics_all_rows_\d+\.csv$/);
  const records = await readCsv(download);
  const source = await queryDemo<DemoMetric>("SELECT * FROM demo_metrics ORDER BY id");
  expect(source).toHaveLength(5000);
  expect(records).toHaveLength(source.length);
  for (const [i, expected] of source.slice(0, COMPARED_ROWS).entries()) {
    const actual = records[i]!;
    expect({ ...actual, payload: actual.payload ? JSON.parse(actual.payload) : null, recorded_at: Date.parse(actual.recorded_at!) }).toEqual({
      id: String(expected.id),
      label: expected.label ?? "",
      category: expected.category,
      amount: expected.amount ?? "",
      quantity: expected.quantity ?? "",
      is_active: expected.is_active === null ? "" : String(expected.is_active),
      payload: expected.payload,
      recorded_at: expected.recorded_at.getTime(),
    });
  }
  expect(records.at(-1)!.id).toBe(String(source.at(-1)!.id));

  // Each click asks for a new link rather than reusing the first one. The file lives 60 s from
  // the export's end, and the link ends with it, so it is presigned for less than that.
  const linked = page.waitForResponse(isTrpcCall("exports.downloadUrl"));
  const again = page.waitForEvent("download");
  await row.getByRole("button", { name: "Download" }).click();
  const link = await trpcResult<{ url: string; fileName: string }>(await linked, "exports.downloadUrl");
  const second = await again;
  expect(second.url()).toBe(link.url);
  const seconds = Number(new URL(link.url).searchParams.get("X-Amz-Expires"));
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThan(60);
  expect(second.suggestedFilename()).toBe(download.suggestedFilename());
  expect(await readCsv(second)).toEqual(records);
});

test("an export started from a freshly loaded Metrics page still downloads, even when it finishes first", async ({ page }) => {
  await signInAsDemo(page);
  // A full load: the export center's list is not in the client's cache, so when the user
  // arrives there the small export may already be finished; it was started in this tab.
  await page.goto(`/${DEMO_TEAM_ID}/metrics`);
  const download = page.waitForEvent("download", { timeout: 45_000 });
  await page.getByRole("button", { name: `Export ${SMALL_METRIC}` }).click();
  await page.getByRole("dialog", { name: "Export", exact: true }).getByRole("button", { name: "Start export" }).click();
  await expect(page).toHaveURL(`/${DEMO_TEAM_ID}/exports`);
  await expect(status(newestExport(page), "Completed")).toBeVisible({ timeout: 30_000 });

  const records = await readCsv(await download);
  const [metric] = await query<{ sql: string }>(`SELECT sql FROM "Metric" WHERE name = $1`, [SMALL_METRIC]);
  expect(records).toHaveLength((await queryDemo(metric!.sql)).length);
  expect(records.length).toBeGreaterThan(0);
});
