/**
 * The limits the UI and the OpenAPI document state come from the configuration: a second app
 * on the suite's build, database and storage, started with other limits, says so where the
 * suite's own app (with the defaults) says 1,000,000 rows and 1 minute.
 */
import { type Browser, expect, type Page, test } from "@playwright/test";

import { baseURL } from "../playwright.config";
import { type AppProcess, appEnv, freePort, serveApp } from "./support/app-process";
import { signInAsDemo } from "./support/session";

const METRIC = "Revenue by day";
const DATAROOM = "Series A Dataroom";

let second: AppProcess | undefined;
let secondURL: string;

test.beforeAll(async () => {
  const port = await freePort();
  secondURL = `http://127.0.0.1:${port}`;
  second = await serveApp(port, appEnv({ EXPORT_MAX_ROWS: "5000", EXPORT_FILE_TTL_SECONDS: "120", EXPORT_JOB_TTL_SECONDS: String(3 * 86_400), EXPORT_LINK_TTL_SECONDS: "45" }));
});

test.afterAll(() => second?.stop());

async function signedIn(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: url });
  const page = await context.newPage();
  await signInAsDemo(page);
  return page;
}

/** What the export center's header and the two confirmations say about the limits. */
async function limitTexts(page: Page) {
  const header = page.getByRole("heading", { name: "Exports" }).locator("..");
  await expect(header).toContainText("Metric files are deleted");
  const exportCenter = await header.innerText();

  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Metrics" }).click();
  await page.getByRole("button", { name: `Export ${METRIC}` }).click();
  const metricDialog = page.getByRole("dialog", { name: "Export to CSV" });
  await expect(metricDialog).toContainText("Files stop at");
  const metric = await metricDialog.innerText();
  await metricDialog.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Exports" }).click();
  // The header's button (an empty list offers a second one).
  await page.getByRole("button", { name: "New export" }).first().click();
  const visitDialog = page.getByRole("dialog", { name: "New export" });
  await visitDialog.getByRole("tab", { name: "Visits" }).click();
  await visitDialog.getByRole("button", { name: new RegExp(`^${DATAROOM} Whole dataroom`) }).click();
  await expect(visitDialog).toContainText("The file is kept for");
  const visits = await visitDialog.innerText();
  return { exportCenter, metric, visits };
}

test("the export center and its confirmations state the configured limits", async ({ browser }) => {
  const secondPage = await signedIn(browser, secondURL);
  const configured = await limitTexts(secondPage);
  await secondPage.context().close();
  expect(configured.exportCenter).toContain("Metric files are deleted 2 minutes after they are ready");
  expect(configured.metric).toContain("Files stop at 5,000 rows and are marked Truncated when they do.");
  expect(configured.metric).toContain("The file is deleted 2 minutes after it is ready");
  expect(configured.visits).toContain("The file is kept for 3 days");

  const defaultPage = await signedIn(browser, baseURL);
  const defaults = await limitTexts(defaultPage);
  await defaultPage.context().close();
  expect(defaults.exportCenter).toContain("Metric files are deleted 1 minute after they are ready");
  expect(defaults.metric).toContain("Files stop at 1,000,000 rows and are marked Truncated when they do.");
  expect(defaults.metric).toContain("The file is deleted 1 minute after it is ready");
  expect(defaults.visits).toContain("The file is kept for 7 days");
});

test("the OpenAPI document states the configured limits, not those of the build", async ({ request }) => {
  const configured = JSON.stringify(await (await request.get(`${secondURL}/api/openapi.json`)).json());
  expect(configured).toContain("At most 5,000 rows");
  expect(configured).toContain("presigned for 45 seconds");
  expect(configured).toContain("kept for the job's lifetime (3 days)");
  expect(configured).not.toContain("1,000,000");

  const defaults = JSON.stringify(await (await request.get(`${baseURL}/api/openapi.json`)).json());
  expect(defaults).toContain("At most 1,000,000 rows");
  expect(defaults).toContain("presigned for 1 minute");
  expect(defaults).toContain("kept for the job's lifetime (7 days)");
});
