import { expect, test } from "@playwright/test";

import { newestExport, startMetricExport, status } from "./support/exports";
import { DEMO_TEAM_ID, signIn, signInAsDemo } from "./support/session";

const METRIC = "Revenue by day";

test("the owner finds a finished export in the audit log, with its outcome and row count", async ({ page }) => {
  await signInAsDemo(page);
  await startMetricExport(page, METRIC);
  const row = newestExport(page);
  await expect(status(row, "Completed")).toBeVisible({ timeout: 30_000 });
  const rows = (await row.innerText()).match(/([\d,]+) rows?/)?.[1];
  expect(rows).toBeDefined();

  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  const event = page.getByRole("list", { name: "Exports, newest first" }).getByRole("listitem").first();
  await expect(event).toContainText(METRIC);
  await expect(event.getByText("Completed", { exact: true })).toBeVisible();
  await expect(event).toContainText("Browser");
  await expect(event).toContainText(`Rows ${rows}`);
  await expect(event.getByRole("button", { name: "Demo User" })).toBeVisible();
});

test("a plain member is told the audit log is for owners and admins", async ({ page }) => {
  await signIn(page, "member@example.com", "member-password");
  await expect(page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Audit log" })).toHaveCount(0);
  await page.goto(`/${DEMO_TEAM_ID}/audit`);
  await expect(page.getByText("Only the team's owners and admins can read the export audit log.")).toBeVisible();
  await expect(page.getByRole("list", { name: "Exports, newest first" })).toHaveCount(0);
});
