import { expect, test } from "@playwright/test";

import { isTrpcCall, newestExport, status, trpcResult } from "./support/exports";
import { query } from "./support/services";
import { DEMO_TEAM_ID, signInAsDemo } from "./support/session";

/**
 * A metric of the demo team with two versions, made here (the demo metrics stay as other specs
 * expect them): version 1 counts to 3, version 2 (its SQL now) to 5.
 */
async function metricWithTwoVersions(): Promise<{ id: string; name: string }> {
  const id = `e2e_versions_${Date.now()}`;
  const name = `Versioned count ${Date.now()}`;
  await query(
    `INSERT INTO "Metric" ("id", "teamId", "dataSourceId", "name", "sql", "updatedAt") VALUES ($1, $2, 'seed_source_postgres', $3, 'SELECT g AS n FROM generate_series(1, 5) g', now())`,
    [id, DEMO_TEAM_ID, name],
  );
  await query(
    `INSERT INTO "MetricVersion" ("id", "metricId", "number", "sql", "dataSourceId", "createdAt") VALUES
       ($1 || '_v1', $1, 1, 'SELECT g AS n FROM generate_series(1, 3) g', 'seed_source_postgres', now() - interval '1 day'),
       ($1 || '_v2', $1, 2, 'SELECT g AS n FROM generate_series(1, 5) g', 'seed_source_postgres', now())`,
    [id],
  );
  return { id, name };
}

test("the metrics page lists a metric's versions and exports the chosen one", async ({ page }) => {
  const metric = await metricWithTwoVersions();
  await signInAsDemo(page);
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Metrics" }).click();

  const row = page.getByRole("list", { name: "Metrics" }).getByRole("listitem").filter({ hasText: metric.name });
  await row.getByRole("button", { name: /Version 2 · show versions/ }).click();
  const versions = page.getByRole("list", { name: `Versions of ${metric.name}` });
  await expect(versions.getByRole("listitem")).toHaveCount(2);
  await expect(versions.getByRole("listitem").nth(0)).toContainText("Version 2 · latest");
  await expect(versions.getByRole("listitem").nth(0)).toContainText("generate_series(1, 5)");
  await expect(versions.getByRole("listitem").nth(1)).toContainText("Version 1");
  await expect(versions.getByRole("listitem").nth(1)).toContainText("generate_series(1, 3)");

  await versions.getByRole("button", { name: `Export version 1 of ${metric.name}` }).click();
  const dialog = page.getByRole("dialog", { name: "Export", exact: true });
  await expect(dialog).toContainText(`Export all rows of metric “${metric.name}”, version 1, from`);
  const started = page.waitForResponse(isTrpcCall("exports.start"));
  await dialog.getByRole("button", { name: "Start export" }).click();
  const { job } = await trpcResult<{ job: { id: string; resourceVersion?: number } }>(await started, "exports.start");
  expect(job.resourceVersion).toBe(1);

  await expect(page).toHaveURL(/\/exports$/);
  const exported = newestExport(page);
  await expect(status(exported, "Completed")).toBeVisible({ timeout: 30_000 });
  // Version 1's three rows, not the five the metric's SQL has now.
  await expect(exported).toContainText("3 rows");
  const [audit] = await query<{ resourceVersion: number }>(`SELECT "resourceVersion" FROM "ExportAuditEvent" WHERE "exportId" = $1`, [job.id]);
  expect(audit?.resourceVersion).toBe(1);
});
