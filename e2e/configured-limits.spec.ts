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
  const metricDialog = page.getByRole("dialog", { name: "Export", exact: true });
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

/** What each app should say: the second with its own limits, the suite's own with the defaults. */
const apps = () => [
  { name: "configured", url: secondURL, rows: "5,000", metricFile: "2 minutes", visitFile: "3 days", link: "45 seconds" },
  { name: "defaults", url: baseURL, rows: "1,000,000", metricFile: "1 minute", visitFile: "7 days", link: "1 minute" },
];

test("the export center and its confirmations state the configured limits", async ({ browser }) => {
  for (const app of apps()) {
    const page = await signedIn(browser, app.url);
    const said = await limitTexts(page);
    await page.context().close();
    expect(said.exportCenter, app.name).toContain(`Metric files are deleted ${app.metricFile} after they are ready`);
    expect(said.metric, app.name).toContain(`Files stop at ${app.rows} rows and are marked Truncated when they do.`);
    expect(said.metric, app.name).toContain(`The file is deleted ${app.metricFile} after it is ready`);
    expect(said.visits, app.name).toContain(`The file is kept for ${app.visitFile}`);
  }
});

test("the OpenAPI document states the configured limits, not those of the build", async ({ request }) => {
  for (const app of apps()) {
    const document = JSON.stringify(await (await request.get(`${app.url}/api/openapi.json`)).json());
    expect(document, app.name).toContain(`At most ${app.rows} rows`);
    expect(document, app.name).toContain(`presigned for ${app.link}`);
    expect(document, app.name).toContain(`kept for the job's lifetime (${app.visitFile})`);
  }
});
