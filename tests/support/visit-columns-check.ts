/**
 * The one check both visit-column tests make, whichever analytics provider the harness runs:
 * export a document, a dataroom and a group of the visits of tests/support/visit-columns.ts,
 * and compare each file, header and every row, with what the database holds.
 */
import { parse } from "csv-parse/sync";
import { expect } from "vitest";

import { customFieldHeader, DATAROOM_HEADER, DOCUMENT_HEADER } from "./visit-headers";

/** Call after the harness has started: the app's modules read its environment. */
export async function checkVisitColumns(beforeExports: () => Promise<void> = async () => undefined) {
  const fixtures = await import("./fixtures");
  const manage = await import("~/server/exports/manage-export");
  const columns = await import("./visit-columns");

  const seeded = await columns.seedColumnVisits();
  await beforeExports();
  const trpc = fixtures.trpcAs(fixtures.sessionCaller(seeded.user.id));
  const teamId = seeded.team.id;
  const read = async (start: Promise<{ exportId: string }>) => {
    const { exportId } = await start;
    const job = await manage.waitForExport(teamId, exportId, { timeoutMs: 120_000 });
    expect(job.status, job.error).toBe("COMPLETED");
    const text = await (await fetch((await manage.createDownloadLink(teamId, exportId)).url)).text();
    expect(text).not.toContain("NaN");
    const [header, ...rows] = parse(text, { bom: true }) as string[][];
    return { header, rows, rowCount: job.file?.rowCount };
  };

  const document = await read(trpc.visits.exportDocument({ teamId, documentId: seeded.deck.id }));
  const documentFields = ["company", "role"];
  expect(document.header).toEqual([...DOCUMENT_HEADER, ...customFieldHeader(documentFields.length)]);
  const documentRows = await columns.expectedDocumentRows(seeded.deck.id, documentFields);
  expect(documentRows).toHaveLength(4);
  expect(document.rows).toEqual(documentRows);
  // Read off the seed by hand: pages 1, 2 (twice) and 3 of 4, for 1.00 + 1.25 + 1.50 + 1.75 s.
  expect(document.rows[0]).toEqual([
    "2026-10-02T09:01:00.000Z", "Ann O'Neil", "ann@example.test", "Deck link", "5.500", "75.00", "1", "2026-10-02T09:02:00.000Z",
    "true", "true", "NDA, 2026", 'You agree "not" to share.\nSigned.', "2026-10-02T09:01:00.000Z", "false",
    "Chrome", "Mac OS", "Desktop", "DE", "Berlin", "3", "4", "company", "Acme, Inc.", "", "",
  ]);
  // Nothing known but the time and the latest version: empty cells, and 0 of its 6 pages.
  expect(document.rows[1]).toEqual(["2026-10-02T09:03:00.000Z", "", "", "", "0.000", "0.00", "2", "", "false", "false", "", "", "", "false", ...Array<string>(5).fill(""), "0", "6", "", "", "", ""]);

  const dataroom = await read(trpc.visits.exportDataroom({ teamId, dataroomId: seeded.dataroom.id }));
  const dataroomFields = ["company", "role"];
  expect(dataroom.header).toEqual([...DATAROOM_HEADER, ...customFieldHeader(dataroomFields.length)]);
  const dataroomRows = await columns.expectedDataroomRows(seeded.dataroom.id, dataroomFields);
  // Two documents of one visit, a view that stands for its own visit, two visits that opened none.
  expect(dataroomRows).toHaveLength(5);
  expect(dataroom.rows).toEqual(dataroomRows);
  expect(dataroom.rowCount).toBe(5);
  // The group visit's second document: the visit's cells, then the model's 1 page of 3.
  expect(dataroom.rows[1]).toEqual([
    "2026-10-02T09:10:00.000Z", "2026-10-02T09:20:00.000Z", "Alice", "alice@fund.test", "Investors link", "true", "true", "NDA, 2026",
    'You agree "not" to share.\nSigned.', "2026-10-02T09:10:00.000Z", "Model, FY2026", "2026-10-02T09:12:00.000Z", "2026-10-02T09:13:00.000Z",
    "4.321", "33.33", "1", "Mobile Safari", "iOS", "Mobile", "US", "", "1", "3", "company", "Northwind Fund", "role", "Partner",
  ]);
  expect(dataroom.rows[3]).toEqual(["2026-10-02T09:40:00.000Z", "", "", "bob@example.test", "Room link", "false", "false", "", "", "", ...Array(13).fill(""), "", "", "role", "CFO"]);

  const group = await read(trpc.visits.exportGroup({ teamId, dataroomId: seeded.dataroom.id, groupId: seeded.group.id }));
  const groupRows = await columns.expectedDataroomRows(seeded.dataroom.id, dataroomFields, seeded.group.id);
  expect(groupRows).toHaveLength(3);
  expect(group.header).toEqual(dataroom.header);
  expect(group.rows).toEqual(groupRows);
  return { document, dataroom, group };
}
