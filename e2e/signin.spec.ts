import { expect, test } from "@playwright/test";

import { e2eEnv } from "../playwright.config";
import { DEMO_TEAM_ID } from "./support/session";

test("the sign-in page offers exactly the embedded defaults' buttons: the demo user, a password, and a link by email", async ({ page }) => {
  await page.goto("/signin");
  const buttons = page.getByRole("button");
  await expect(buttons).toHaveCount(3);
  await expect(buttons.nth(0)).toHaveAccessibleName("Continue as demo user");
  await expect(buttons.nth(1)).toHaveAccessibleName("Sign in");
  // EMAIL_SERVER is the suite's SMTP catcher, as under npm start: sign-in links land there.
  await expect(buttons.nth(2)).toHaveAccessibleName("Continue with email");
});

test("a wrong password gets a clear message", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByLabel("Email", { exact: true }).fill("demo@example.com");
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
  await page.getByLabel("Email", { exact: true }).fill("member@example.com");
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

// The suite's baseURL is http://localhost; a user may as well open the machine's address.
test.describe("at http://127.0.0.1", () => {
  const origin = `http://127.0.0.1:${e2eEnv.PORT}`;
  test.use({ baseURL: origin });

  test("the demo user signs in and stays on 127.0.0.1, at the export center", async ({ page }) => {
    await page.goto("/signin");
    await page.getByRole("button", { name: "Continue as demo user" }).click();
    await expect(page).toHaveURL(`${origin}/${DEMO_TEAM_ID}/exports`);
    await expect(page.getByRole("heading", { name: "Exports" })).toBeVisible();
  });

  test("a member signs in with email and password on 127.0.0.1", async ({ page }) => {
    await page.goto("/signin");
    await page.getByLabel("Email", { exact: true }).fill("member@example.com");
    await page.getByLabel("Password").fill("member-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(`${origin}/${DEMO_TEAM_ID}/exports`);
    await expect(page.getByRole("heading", { name: "Exports" })).toBeVisible();
  });
});
