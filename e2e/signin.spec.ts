import { expect, test } from "@playwright/test";

test("a wrong password gets a clear message", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByLabel("Email").fill("demo@example.com");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  // Next.js keeps its own (empty) route announcer with role="alert" on every page.
  await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
});

test("the demo user signs in and lands on the team's export center", async ({ page }) => {
  await page.goto("/signin");
  await page.getByRole("button", { name: "Continue as demo user" }).click();
  await expect(page).toHaveURL(/\/[^/]+\/exports$/);
  await expect(page.getByRole("heading", { name: "Exports" })).toBeVisible();
  await expect(page.getByRole("combobox", { name: "Team" })).toHaveValue(/.+/);
});

test("a member signs in with email and password", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("Email").fill("member@example.com");
  await page.getByLabel("Password").fill("member-password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Exports" })).toBeVisible();
});

test("another team's export center does not exist for this user", async ({ page }) => {
  await page.goto("/signin");
  await page.getByRole("button", { name: "Continue as demo user" }).click();
  await expect(page.getByRole("heading", { name: "Exports" })).toBeVisible();
  const response = await page.goto("/not-my-team/exports");
  expect(response?.status()).toBe(404);
});
