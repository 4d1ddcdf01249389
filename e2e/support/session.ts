import { expect, type Page } from "@playwright/test";

/** Seeded in prisma/seed.ts: the owner of the Demo Team. */
export const DEMO_TEAM_ID = "seed_team_demo";

export async function signInAsDemo(page: Page) {
  await page.goto("/signin");
  await page.getByRole("button", { name: "Continue as demo user" }).click();
  await expect(page.getByRole("heading", { name: "Exports" })).toBeVisible();
  await expect(page).toHaveURL(`/${DEMO_TEAM_ID}/exports`);
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/signin");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Exports" })).toBeVisible();
}
