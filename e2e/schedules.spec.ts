import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expect, type Page, test } from "@playwright/test";
import { parse } from "csv-parse/sync";

import { caughtEmails, query } from "./support/services";
import { DEMO_TEAM_ID, signInAsDemo } from "./support/session";

// Seeded in prisma/demo/visits.ts.
const DATAROOM = "Series A Dataroom";

let receiver: Server;
let hookUrl: string;
const deliveries: string[] = [];

// The webhook the schedule tells: a local receiver, which the embedded app may reach
// (`npm start` sets DESTINATIONS_ALLOW_PRIVATE_NETWORKS).
test.beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      deliveries.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

test.afterAll(() => new Promise((r) => receiver.close(r)));

/** Signs in as the demo user and opens the New schedule form. */
async function openNewSchedule(page: Page) {
  await signInAsDemo(page);
  await page.getByRole("link", { name: "Schedules" }).first().click();
  await expect(page.getByRole("heading", { name: "Schedules" })).toBeVisible();
  await page.getByRole("button", { name: "New schedule" }).click();
}

/** The New schedule form, exporting the seeded dataroom's visits, named `name`. */
async function newDataroomSchedule(page: Page, name: string) {
  await openNewSchedule(page);
  await page.getByRole("tab", { name: "Visits" }).click();
  await page.getByRole("button", { name: new RegExp(`^${DATAROOM} Whole dataroom`) }).click();
  await page.getByLabel("Name").fill(name);
}

test("a schedule created in the UI runs now, and its run is in the history with a working link", async ({ page }) => {
  const name = `Nightly ${DATAROOM} ${Date.now()}`;
  await newDataroomSchedule(page, name);
  await page.getByRole("button", { name: "Daily at 09:00" }).click();
  await page.getByLabel("Time zone").fill("Europe/Paris");
  await expect(page.getByText("Every day at 09:00, Europe/Paris time.")).toBeVisible();
  await page.getByLabel("Webhook URL").fill(hookUrl);
  await page.getByRole("button", { name: "Create schedule" }).click();

  await expect(page.getByTestId("signing-secret")).toHaveText(/^whsec_[0-9a-f]{64}$/);
  await page.getByRole("button", { name: "Done" }).click();

  const row = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name }) });
  await expect(row).toContainText("Next run:");
  await row.getByRole("button", { name: "Run now" }).click();
  const history = row.getByRole("list", { name: "Run history" });
  await expect(history.getByText("Completed")).toBeVisible({ timeout: 60_000 });
  await expect(history).toContainText("delivered to 1 of 1", { timeout: 30_000 });

  const href = await history.getByRole("link", { name: "Download" }).getAttribute("href");
  expect(href).toMatch(new RegExp(`^/api/teams/${DEMO_TEAM_ID}/export-jobs/[^/]+\\?download=true$`));
  const file = await page.request.get(href!);
  expect(file.status()).toBe(200);
  const [{ count }] = (await query<{ count: string }>(`SELECT count(*) FROM "View" v JOIN "Dataroom" d ON d.id = v."dataroomId" WHERE d.name = $1`, [DATAROOM])) as [{ count: string }];
  expect(parse(await file.text(), { columns: true, bom: true })).toHaveLength(Number(count));
  expect(deliveries.map((d) => JSON.parse(d) as { event: string }).some((d) => d.event === "export.completed")).toBe(true);
});

test("a schedule that emails JSON Lines: picked and tested in the form, run now, and the email links and attaches the file", async ({ page }) => {
  const name = `Emailed ${DATAROOM} ${Date.now()}`;
  const to = `schedule-${Date.now()}@example.test`;
  await newDataroomSchedule(page, name);
  await page.getByRole("radio", { name: /^JSON Lines/ }).check();
  await page.getByLabel("Deliver to").selectOption("email");
  await page.getByLabel("Recipients").fill(to);
  await page.getByRole("button", { name: "Test destination" }).click();
  await expect(page.getByText("It works: the destination took a sample.")).toBeVisible();
  await page.getByRole("button", { name: "Create schedule" }).click();

  const row = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name }) });
  await row.getByRole("button", { name: "Run now" }).click();
  const history = row.getByRole("list", { name: "Run history" });
  await expect(history).toContainText("delivered to 1 of 1", { timeout: 60_000 });

  await expect.poll(async () => (await caughtEmails()).filter((m) => m.to.includes(to) && m.subject.includes(".jsonl")).length, { timeout: 30_000 }).toBe(1);
  const mail = (await caughtEmails()).find((m) => m.to.includes(to) && m.subject.includes(".jsonl"))!;
  expect(mail.attachments).toEqual([expect.objectContaining({ filename: expect.stringMatching(/\.jsonl$/) })]);
  const link = mail.links.find((l) => /\/export-jobs\/[^/?]+\?download=true$/.test(l))!;
  const file = await page.request.get(new URL(link).pathname + new URL(link).search);
  expect(file.status()).toBe(200);
  const lines = (await file.text()).split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  const [{ count }] = (await query<{ count: string }>(`SELECT count(*) FROM "View" v JOIN "Dataroom" d ON d.id = v."dataroomId" WHERE d.name = $1`, [DATAROOM])) as [{ count: string }];
  expect(lines).toHaveLength(Number(count));
});

test("a schedule with a webhook and an email, edited: a new preset, one destination removed, and the kept email still delivers", async ({ page }) => {
  const name = `Edited ${DATAROOM} ${Date.now()}`;
  const to = `edited-${Date.now()}@example.test`;
  await newDataroomSchedule(page, name);
  await page.getByRole("button", { name: "Daily at 09:00" }).click();
  const first = page.getByRole("group", { name: "Destination 1" });
  await first.getByLabel("Webhook URL").fill(hookUrl);
  await page.getByRole("button", { name: "Add destination" }).click();
  const second = page.getByRole("group", { name: "Destination 2" });
  await second.getByLabel("Deliver to").selectOption("email");
  await second.getByLabel("Recipients").fill(to);
  await second.getByRole("button", { name: "Test destination" }).click();
  await expect(second.getByText("It works: the destination took a sample.")).toBeVisible();
  await expect(first.getByRole("status")).toBeEmpty();
  await page.getByRole("button", { name: "Create schedule" }).click();
  await page.getByRole("button", { name: "Done" }).click();

  const row = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name }) });
  await expect(row).toContainText("Every day at 09:00");
  await expect(row).toContainText("webhook, email");

  await row.getByRole("button", { name: "Edit" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit schedule" });
  await expect(dialog).toContainText(`Exports ${DATAROOM}.`);
  await expect(dialog.getByLabel("Name")).toHaveValue(name);
  await expect(dialog.getByRole("button", { name: "Daily at 09:00" })).toHaveAttribute("aria-pressed", "true");
  // Kept destinations are shown as saved, read-only.
  await expect(dialog.getByRole("group", { name: "Destination 1" })).toContainText(hookUrl);
  await expect(dialog.getByRole("group", { name: "Destination 2" })).toContainText(to);
  await expect(dialog.getByLabel("Webhook URL")).toHaveCount(0);
  await dialog.getByRole("button", { name: "Weekdays at 08:00" }).click();
  await dialog.getByRole("group", { name: "Destination 1" }).getByRole("button", { name: "Remove" }).click();
  await expect(dialog.getByRole("group", { name: "Destination 1" })).toContainText(to);
  await dialog.getByRole("button", { name: "Save changes" }).click();
  await expect(dialog).toBeHidden();

  await expect(row).toContainText("Every weekday at 08:00");
  await expect(row).not.toContainText("webhook");
  await row.getByRole("button", { name: "Run now" }).click();
  const history = row.getByRole("list", { name: "Run history" });
  await expect(history).toContainText("delivered to 1 of 1", { timeout: 60_000 });
  // The sample of Test destination was one message; the run is the other.
  await expect.poll(async () => (await caughtEmails()).filter((m) => m.to.includes(to) && m.subject.endsWith("is ready") && !m.subject.includes('"test.csv"')).length, { timeout: 30_000 }).toBe(1);
});

test("a metric's schedule pinned to a version in the form runs it, and Edit shows the pin and can lift it", async ({ page }) => {
  const name = `Pinned revenue ${Date.now()}`;
  const pinned = async () => ((await query<{ metricVersion: number | null }>(`SELECT "metricVersion" FROM "Schedule" WHERE name = $1`, [name])) as [{ metricVersion: number | null }])[0].metricVersion;
  await openNewSchedule(page);
  await page.getByRole("button", { name: /^Revenue by day/ }).click();
  await expect(page.getByLabel("Version")).toHaveValue("");
  await expect(page.getByLabel("Version").getByRole("option", { name: "Latest at each run" })).toHaveCount(1);
  await page.getByLabel("Version").selectOption("1");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Webhook URL").fill(hookUrl);
  await page.getByRole("button", { name: "Create schedule" }).click();
  await page.getByRole("button", { name: "Done" }).click();
  expect(await pinned()).toBe(1);

  const row = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name }) });
  await row.getByRole("button", { name: "Run now" }).click();
  await expect(row.getByRole("list", { name: "Run history" })).toContainText("delivered to 1 of 1", { timeout: 60_000 });

  await row.getByRole("button", { name: "Edit" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit schedule" });
  await expect(dialog).toContainText("Exports Revenue by day.");
  await expect(dialog.getByLabel("Version")).toHaveValue("1");
  await dialog.getByLabel("Version").selectOption("");
  await dialog.getByRole("button", { name: "Save changes" }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(pinned).toBeNull();
});
