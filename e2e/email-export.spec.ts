import { expect, test } from "@playwright/test";

import { newestExport, startVisitExport, status } from "./support/exports";
import { caughtEmails, query, readCsv } from "./support/services";
import { signInAsDemo } from "./support/session";

// Seeded in prisma/seed.ts and prisma/demo/visits.ts.
const DEMO_EMAIL = "demo@example.com";
const DATAROOM = { id: "seed_dataroom_series_a", name: "Series A Dataroom" };

/**
 * "Email me" on a visit export, as a user lives it: ticked in the confirmation, the email
 * caught by the SMTP catcher that `npm start` runs (read through its API, as a developer
 * would), its link opened in the signed-in browser, and the file downloaded from it.
 */
test("a visit export started with Email me sends the link, which gives the file in the signed-in browser", async ({ page, context }) => {
  const [views] = await query<{ count: string }>(`SELECT count(*) FROM "View" WHERE "dataroomId" = $1`, [DATAROOM.id]);
  const earlier = new Set((await caughtEmails()).map((m) => m.id));

  await signInAsDemo(page);
  await startVisitExport(page, new RegExp(`^${DATAROOM.name} Whole dataroom`), DATAROOM.name, { emailMe: true });
  const row = newestExport(page);
  await expect(status(row, "Completed")).toBeVisible({ timeout: 30_000 });
  await expect(row.getByTestId("email-state")).toHaveText(`Email sent to ${DEMO_EMAIL}`, { timeout: 30_000 });

  const [mail] = (await caughtEmails()).filter((m) => !earlier.has(m.id) && m.to.includes(DEMO_EMAIL));
  expect(mail?.subject).toBe(`Your export of "${DATAROOM.name}" is ready`);
  const link = mail!.links.find((l) => /\/export-jobs\/[^/?]+\?download=true$/.test(l));
  expect(link).toBeDefined();
  // The link is the app's own route, on the address the browser uses, not a presigned URL.
  expect(new URL(link!).origin).toBe(new URL(page.url()).origin);

  const reader = await context.newPage();
  const download = reader.waitForEvent("download");
  // The route answers with a redirect to the file, which the browser downloads instead of showing.
  await reader.goto(link!).catch(() => undefined);
  const records = await readCsv(await download);
  expect(records).toHaveLength(Number(views!.count));
});
