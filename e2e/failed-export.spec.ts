import { expect, test } from "@playwright/test";

import { announcements, newestExport, startMetricExport, status } from "./support/exports";
import { signInAsDemo } from "./support/session";

const METRIC = "Broken query";

test("an export whose query fails shows the database's message in its row", async ({ page }) => {
  await signInAsDemo(page);
  await startMetricExport(page, METRIC);

  const row = newestExport(page);
  await expect(status(row, "Failed")).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText('relation "no_such_table" does not exist');
  await expect(announcements(page)).toContainText(`Metric export “${METRIC}” failed: `);
  await expect(announcements(page)).toContainText('relation "no_such_table" does not exist');
  await expect(row.getByRole("button", { name: "Download" })).toBeDisabled();
  await expect(row.getByRole("button", { name: "Retry" })).toBeVisible();
});
