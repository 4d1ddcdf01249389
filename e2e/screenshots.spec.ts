import { expect, test } from "@playwright/test";

import { newestExport, startMetricExport, status } from "./support/exports";
import { signInAsDemo } from "./support/session";

const METRIC = "Slow query (30 s)";

const viewports = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;

test("screenshots of the export center with an export running, at desktop and phone widths", async ({ page }, testInfo) => {
  await page.setViewportSize(viewports[0]);
  await signInAsDemo(page);
  await startMetricExport(page, METRIC);
  const row = newestExport(page);
  await expect(status(row, "Processing")).toBeVisible({ timeout: 15_000 });
  await expect(row.getByRole("progressbar", { name: `Progress of ${METRIC}` })).toBeVisible();
  // The "started" toast would cover the list; a user closes it or waits it out.
  for (const close of await page.getByRole("button", { name: "Dismiss notification" }).all()) await close.click();
  await expect(page.getByRole("button", { name: "Dismiss notification" })).toHaveCount(0);

  for (const viewport of viewports) {
    await page.setViewportSize(viewport);
    await expect(row).toBeInViewport();
    await expect(status(row, "Processing")).toBeVisible();
    const path = testInfo.outputPath(`export-center-${viewport.name}.png`);
    await page.screenshot({ path });
    await testInfo.attach(`export center, ${viewport.name} (${viewport.width}×${viewport.height})`, { path, contentType: "image/png" });
  }

  // Not left sleeping in PostgreSQL for the rest of its 30 s.
  await row.getByRole("button", { name: "Cancel" }).click();
  await expect(status(row, "Cancelled")).toBeVisible();
});
