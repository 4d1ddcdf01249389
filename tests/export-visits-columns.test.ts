/**
 * Every column of the visit files, row by row against the database, with the local analytics
 * provider (no Tinybird token: durations and user agents from the PageView table): a
 * document's visits, a dataroom's (one row per document of each visit, one per visit that
 * opened none) and a group's. The same checks through the fake Tinybird are in
 * export-visits-columns-tinybird.test.ts.
 */
import { afterAll, beforeAll, it } from "vitest";

import { type ExportHarness, startExportHarness } from "./support/export-harness";
import { checkVisitColumns } from "./support/visit-columns-check";

let harness: ExportHarness;

beforeAll(async () => {
  harness = await startExportHarness({ env: { TINYBIRD_TOKEN: "" } });
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

it("writes Papermark's columns, then ours, then the custom fields, from PostgreSQL", async () => {
  await checkVisitColumns();
});
