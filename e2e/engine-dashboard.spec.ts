import { type BrowserContext, expect, type Page, test } from "@playwright/test";

import { e2eEnv } from "../playwright.config";
import { newestExport, startMetricExport, status } from "./support/exports";
import { signInAsDemo } from "./support/session";

/** The embedded executor's dashboard, at its own address as `npm start` runs it (scripts/start.ts). */
const DASHBOARD = `http://127.0.0.1:${e2eEnv.INNGEST_EXECUTOR_PORT}`;
const EXPORT_FUNCTION = "export-center-export-metric-data";
const STEPS = ["load metric", "query and upload", "mark completed", "schedule deletion"];

/** The dashboard, opened from the app's header as a user opens it (a new tab). */
async function openDashboard(page: Page, context: BrowserContext): Promise<Page> {
  const link = page.getByRole("banner").getByRole("link", { name: "Engine dashboard (opens in a new tab)" });
  await expect(link).toHaveAttribute("href", DASHBOARD);
  const [dashboard] = await Promise.all([context.waitForEvent("page"), link.click()]);
  await expect(dashboard.getByRole("heading", { name: "Runs", level: 1 })).toBeVisible();
  return dashboard;
}

/**
 * Opens the run of an export: the newest run of the export function with that status (tests run
 * one at a time, so it is the one just started), whose trigger event names the export.
 */
async function openExportRun(dashboard: Page, exportId: string, runStatus: string) {
  await dashboard.goto(`${DASHBOARD}/?function=${EXPORT_FUNCTION}&status=${runStatus}`);
  const runs = dashboard.getByRole("table", { name: "Runs, newest first" });
  await runs.getByRole("row").nth(1).getByRole("link").first().click();
  await expect(dashboard.getByRole("heading", { name: /^Run / })).toBeVisible();
  await expect(triggerEvent(dashboard)).toContainText(`"exportId": "${exportId}"`);
}

function triggerEvent(dashboard: Page) {
  return dashboard.getByRole("region", { name: "Trigger event" });
}

function stepRow(dashboard: Page, name: string) {
  return dashboard.getByRole("table", { name: "Steps in the order they started" }).getByRole("row").filter({ has: dashboard.getByRole("rowheader", { name, exact: true }) });
}

function summary(dashboard: Page, term: string) {
  return dashboard.getByRole("term").filter({ hasText: new RegExp(`^${term}$`) }).locator("xpath=following-sibling::dd[1]");
}

test("the dashboard shows a metric export's run with its steps and their durations", async ({ page, context }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 860 });
  await signInAsDemo(page);
  const exportId = await startMetricExport(page, "Revenue by day");
  await expect(status(newestExport(page), "Completed")).toBeVisible({ timeout: 30_000 });

  const dashboard = await openDashboard(page, context);
  await dashboard.setViewportSize({ width: 1280, height: 860 });
  // The filters work from the keyboard: pick the function, then submit with Enter.
  await dashboard.getByLabel("Function").selectOption(EXPORT_FUNCTION);
  await dashboard.getByLabel("Run or event id").press("Enter");
  await expect(dashboard).toHaveURL(new RegExp(`function=${EXPORT_FUNCTION}`));

  await openExportRun(dashboard, exportId, "Completed");
  await expect(summary(dashboard, "Status")).toHaveText("Completed");
  for (const name of STEPS) {
    const cells = stepRow(dashboard, name).getByRole("cell");
    await expect(cells.nth(0)).toHaveText("ok");
    await expect(cells.nth(1)).toHaveText("1");
    await expect(cells.nth(2)).toHaveText(/^(\d+ ms|\d+\.\d s)$/);
  }
  await expect(dashboard.getByRole("heading", { name: "Output" })).toBeVisible();
  const runShot = testInfo.outputPath("engine-dashboard-run.png");
  await dashboard.screenshot({ path: runShot, fullPage: true });
  await testInfo.attach("dashboard: a run", { path: runShot, contentType: "image/png" });
});

test("Cancel on the dashboard cancels a slow export's run, and the export center shows it Cancelled", async ({ page, context }) => {
  await signInAsDemo(page);
  const exportId = await startMetricExport(page, "Slow query (30 s)");
  const row = newestExport(page);
  await expect(status(row, "Processing")).toBeVisible({ timeout: 15_000 });

  const dashboard = await openDashboard(page, context);
  await openExportRun(dashboard, exportId, "Running");
  await expect(stepRow(dashboard, "load metric").getByRole("cell").nth(0)).toHaveText("ok");
  // The step at work is shown while the SDK runs it; its name comes with the SDK's answer.
  await expect(stepRow(dashboard, "next step").getByRole("cell").nth(0)).toHaveText("running");
  const cancel = dashboard.getByRole("button", { name: "Cancel run" });
  await cancel.focus();
  await dashboard.keyboard.press("Enter");
  await expect(summary(dashboard, "Status")).toHaveText("Cancelled");
  await expect(dashboard.getByRole("button", { name: "Rerun" })).toBeVisible();

  // The engine's cancel reaches the app as inngest/function.cancelled, and the export is settled.
  await expect(status(row, "Cancelled")).toBeVisible({ timeout: 15_000 });
  await page.reload();
  await expect(status(newestExport(page), "Cancelled")).toBeVisible();
});

test("Rerun on the dashboard starts a new run of a failed export's run, with the same event", async ({ page, context }, testInfo) => {
  await signInAsDemo(page);
  const exportId = await startMetricExport(page, "Broken query");
  await expect(status(newestExport(page), "Failed")).toBeVisible({ timeout: 30_000 });

  const dashboard = await openDashboard(page, context);
  await openExportRun(dashboard, exportId, "Failed");
  const failedUrl = dashboard.url();
  const failedRunId = failedUrl.slice(failedUrl.lastIndexOf("/") + 1);
  await expect(stepRow(dashboard, "query and upload").getByRole("cell").nth(0)).toHaveText("failed");
  await expect(dashboard.getByText('relation "no_such_table" does not exist').first()).toBeVisible();
  const eventId = (await summary(dashboard, "Trigger").locator(".mono").innerText()).trim();

  await dashboard.getByRole("button", { name: "Rerun" }).click();
  await expect(dashboard).not.toHaveURL(failedUrl);
  await expect(summary(dashboard, "Rerun of")).toHaveText(failedRunId.slice(0, 8));
  await expect(summary(dashboard, "Trigger").locator(".mono")).toHaveText(eventId);
  await expect(triggerEvent(dashboard)).toContainText(`"exportId": "${exportId}"`);
  // The rerun finds its export already settled: it ends without touching the job.
  await expect(summary(dashboard, "Status")).toHaveText(/^(Failed|Completed)$/, { timeout: 15_000 });
  await expect(dashboard.getByRole("link", { name: failedRunId.slice(0, 8) })).toBeVisible();

  await dashboard.goto(failedUrl);
  await expect(summary(dashboard, "Reruns")).toContainText(/[0-9a-f]{8}/);
  await page.reload();
  await expect(status(newestExport(page), "Failed")).toBeVisible();

  // The runs of this file's three exports, and of the functions they set off.
  await dashboard.setViewportSize({ width: 1280, height: 720 });
  await dashboard.goto(DASHBOARD);
  const runsShot = testInfo.outputPath("engine-dashboard-runs.png");
  await dashboard.screenshot({ path: runsShot });
  await testInfo.attach("dashboard: runs", { path: runsShot, contentType: "image/png" });
});
