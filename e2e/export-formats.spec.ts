/**
 * Choosing a file's format in the new-export dialog (issue 13): the picker offers the formats
 * of the server's registry with a hint each, and gzip where the format takes it; the export
 * row says what was chosen, and the browser saves the compressed file as it is stored.
 */
import { expect, type Page, test } from "@playwright/test";
import ExcelJS from "exceljs";

import { isTrpcCall, newestExport, status, trpcResult } from "./support/exports";
import { jobField, query, queryDemo, readGzippedCsv } from "./support/services";
import { DEMO_TEAM_ID, signInAsDemo } from "./support/session";

const METRIC = "Revenue by day";

/** What XLSX holds for a number's exact digits (README "Formats"): a number up to 15 significant digits, else the digits as text. */
function inXlsx(digits: string): number | string {
  const significant = digits.replace(/^-/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return significant.length > 15 ? digits : Number(digits);
}

/** Signed in as the demo user, the export dialog of the demo metric, and the download its export will start. */
async function openExportDialog(page: Page) {
  await signInAsDemo(page);
  await page.goto(`/${DEMO_TEAM_ID}/metrics`);
  const download = page.waitForEvent("download", { timeout: 45_000 });
  await page.getByRole("button", { name: `Export ${METRIC}` }).click();
  const dialog = page.getByRole("dialog", { name: "Export", exact: true });
  return { download, dialog, formats: dialog.getByRole("group", { name: "Format" }) };
}

test("a metric exported as CSV with gzip, picked in the dialog, downloads as a .csv.gz of the source rows", async ({ page }) => {
  const { download, dialog, formats } = await openExportDialog(page);
  const csv = formats.getByRole("radio", { name: /^CSV/ });
  await expect(csv).toBeChecked();
  await expect(csv).toHaveAccessibleName(/every spreadsheet/);
  const gzip = formats.getByRole("checkbox", { name: /^Compress with gzip/ });
  await expect(gzip).not.toBeChecked();
  await gzip.check();

  const started = page.waitForResponse(isTrpcCall("exports.start"));
  await dialog.getByRole("button", { name: "Start export" }).click();
  const { job } = await trpcResult<{ job: { id: string; format: string; compression?: string } }>(await started, "exports.start");
  expect(job).toMatchObject({ format: "csv", compression: "gzip" });
  await expect(page).toHaveURL(`/${DEMO_TEAM_ID}/exports`);

  const row = newestExport(page);
  await expect(status(row, "Completed")).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText("CSV · gzip");
  await expect(row).toContainText(/\.csv\.gz/);

  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^Revenue_by_day_\d+\.csv\.gz$/);
  const { magic, records } = await readGzippedCsv(file);
  expect(magic).toEqual([0x1f, 0x8b]);
  const [metric] = await query<{ sql: string }>(`SELECT sql FROM "Metric" WHERE name = $1`, [METRIC]);
  expect(records).toHaveLength((await queryDemo(metric!.sql)).length);
  expect(records.length).toBeGreaterThan(0);
  expect(await jobField(job.id, "format")).toBe("csv");
  expect(await jobField(job.id, "compression")).toBe("gzip");
});

test("a metric exported as XLSX, picked in the dialog, opens in a real reader with typed cells and a bold, frozen header", async ({ page }) => {
  const { download, dialog, formats } = await openExportDialog(page);
  await formats.getByRole("radio", { name: /^Excel \(XLSX\)/ }).check();
  // XLSX compresses itself: no gzip to choose.
  await expect(formats.getByRole("checkbox", { name: /^Compress with gzip/ })).toHaveCount(0);

  const started = page.waitForResponse(isTrpcCall("exports.start"));
  await dialog.getByRole("button", { name: "Start export" }).click();
  const { job } = await trpcResult<{ job: { id: string; format: string } }>(await started, "exports.start");
  expect(job.format).toBe("xlsx");

  const row = newestExport(page);
  await expect(status(row, "Completed")).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText("Excel (XLSX)");

  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^Revenue_by_day_\d+\.xlsx$/);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(await file.path());
  const sheet = workbook.worksheets[0]!;
  expect(sheet.getRow(1).values).toEqual([undefined, "day", "orders", "revenue", "units"]);
  expect(sheet.getCell("A1").font?.bold).toBe(true);
  expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });

  const [metric] = await query<{ sql: string }>(`SELECT sql FROM "Metric" WHERE name = $1`, [METRIC]);
  const source = await queryDemo<{ day: string; orders: string; revenue: string; units: string }>(`SELECT to_char(day, 'YYYY-MM-DD') AS day, orders, revenue, units FROM (${metric!.sql}) AS m`);
  expect(source.length).toBeGreaterThan(0);
  expect(sheet.rowCount).toBe(source.length + 1);
  source.forEach((expected, i) => {
    const cells = sheet.getRow(i + 2);
    expect((cells.getCell(1).value as Date).toISOString().slice(0, 10)).toBe(expected.day);
    expect(cells.getCell(2).value).toBe(inXlsx(expected.orders));
    expect(cells.getCell(3).value).toBe(inXlsx(expected.revenue));
    expect(cells.getCell(4).value).toBe(inXlsx(expected.units));
  });
});
