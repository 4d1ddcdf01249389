import { expect, type Locator, type Page, type Response } from "@playwright/test";

/** The export center's list; new exports go on top. */
export function exportsList(page: Page): Locator {
  return page.getByRole("list", { name: "Exports, newest first" });
}

/** The newest export in the list: the one a test has just started, since tests run one at a time. */
export function newestExport(page: Page): Locator {
  return exportsList(page).getByRole("listitem").first();
}

/**
 * The export center's announcements of status changes: a live region with no role of its own,
 * so that it does not compete with the toasts' role="status".
 */
export function announcements(page: Page): Locator {
  return page.locator("[aria-live=polite]:not([role])");
}

/** The status badge of a row, by its visible word (the badge is the only text with exactly that word). */
export function status(row: Locator, label: "Pending" | "Processing" | "Completed" | "Failed" | "Cancelled"): Locator {
  return row.getByText(label, { exact: true });
}

/**
 * The value a tRPC procedure answered with, from the browser's batched request
 * (`/api/trpc/a,b?batch=1` answers `[{result:{data:{json}}}, …]` in the same order).
 */
export async function trpcResult<T>(response: Response, procedure: string): Promise<T> {
  const paths = new URL(response.url()).pathname.replace("/api/trpc/", "").split(",");
  const body = (await response.json()) as Array<{ result?: { data: { json: unknown } }; error?: unknown }>;
  const entry = body[paths.indexOf(procedure)];
  if (!entry?.result) throw new Error(`${procedure} failed: ${JSON.stringify(entry?.error ?? body)}`);
  return entry.result.data.json as T;
}

export function isTrpcCall(procedure: string) {
  return (response: Response) => response.request().method() === "POST" && new URL(response.url()).pathname.startsWith("/api/trpc/") && new URL(response.url()).pathname.includes(procedure);
}

/**
 * Starts a metric's export the way a user does, from the Metrics page and its confirmation,
 * which takes the user to the export center. Returns the new job's id.
 *
 * Reaching Metrics through the header keeps the export center's list in the client cache, so
 * the new job is there, unfinished, when the user comes back: that is what lets the export
 * center download it automatically when it completes.
 */
export async function startMetricExport(page: Page, metricName: string): Promise<string> {
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Metrics" }).click();
  await page.getByRole("button", { name: `Export ${metricName}` }).click();
  const dialog = page.getByRole("dialog", { name: "Export", exact: true });
  await expect(dialog).toContainText(`Export all rows of metric “${metricName}”`);
  // The export center starts every kind through exports.start.
  const started = page.waitForResponse(isTrpcCall("exports.start"));
  await dialog.getByRole("button", { name: "Start export" }).click();
  const { job } = await trpcResult<{ job: { id: string } }>(await started, "exports.start");
  await expect(dialog).toBeHidden();

  await expect(page.getByRole("status").filter({ hasText: `Export of “${metricName}” started.` })).toBeVisible();
  await expect(page).toHaveURL(/\/exports$/);
  await expect(page.getByRole("heading", { name: "Exports" })).toBeVisible();
  await expect(newestExport(page)).toHaveAccessibleName(metricName);
  return job.id;
}

/**
 * Starts a visit export from the export center's "New export" picker: `choice` is the start of
 * the entry's accessible name (its title, then its detail line), with "Email me when it is
 * ready" ticked when `emailMe`. Returns the confirmation's text.
 */
export async function startVisitExport(page: Page, choice: RegExp, label: string, options: { emailMe?: boolean } = {}): Promise<string> {
  // The header's button; an empty list offers a second one.
  await page.getByRole("button", { name: "New export" }).first().click();
  const dialog = page.getByRole("dialog", { name: "New export" });
  await dialog.getByRole("tab", { name: "Visits" }).click();
  await dialog.getByRole("button", { name: choice }).click();
  const summary = await dialog.getByRole("heading", { name: /^Export all/ }).innerText();
  if (options.emailMe) await dialog.getByRole("checkbox", { name: /^Email me when it is ready/ }).check();
  await dialog.getByRole("button", { name: "Start export" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("status")).toContainText(`Export of “${label}” started.`);
  await expect(newestExport(page)).toHaveAccessibleName(label);
  return summary;
}
