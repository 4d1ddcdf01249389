import { expect, test } from "@playwright/test";

import { newestExport, startMetricExport, status } from "./support/exports";
import { signIn, signInAsDemo } from "./support/session";

const METRIC = "Revenue by day";

test("a member may download a teammate's export but not delete it, and is told why; their own they may delete", async ({ page, browser }) => {
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  await signInAsDemo(owner);
  await startMetricExport(owner, METRIC);
  await expect(status(newestExport(owner), "Completed")).toBeVisible({ timeout: 30_000 });
  await ownerContext.close();

  await signIn(page, "member@example.com", "member-password");
  const teammates = newestExport(page);
  await expect(teammates).toContainText("Started by a teammate");
  await expect(status(teammates, "Completed")).toBeVisible();
  await expect(teammates.getByRole("button", { name: "Download" })).toBeEnabled();
  const refusedDelete = teammates.getByRole("button", { name: `Delete the export of ${METRIC}` });
  await expect(refusedDelete).toBeDisabled();
  await expect(refusedDelete).toHaveAccessibleDescription("Only the person who started this export, an admin or an owner can delete it");

  await startMetricExport(page, METRIC);
  const own = newestExport(page);
  await expect(own).toContainText("Started by you");
  await expect(own.getByRole("button", { name: `Delete the export of ${METRIC}` })).toBeEnabled();
});

test("a member reaches the API tokens page to see and revoke their own tokens, but only admins create them", async ({ page }) => {
  await signIn(page, "member@example.com", "member-password");
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  await expect(page.getByText("Only the team's owners and admins create tokens.", { exact: false })).toBeVisible();
  await expect(page.getByRole("button", { name: "Create token" })).toHaveCount(0);
});
