/**
 * A visit export's rows: one per view, with the viewer, the time, the document and its
 * version, the time spent, the pages seen out of the document's pages, the link, and each
 * custom field as an extra column. Durations come from the batches fetched beforehand.
 */
import type { Prisma } from "~/generated/prisma/client";
import type { CsvColumn } from "~/server/csv";

import { cursorAfter, type ExportedView, type ViewCursor, viewPage } from "./visit-query";

/** Per view: total time in ms and how many distinct pages were seen. */
export type ViewDurations = Record<string, [totalMs: number, pagesViewed: number]>;

const PAGE = 500;

export function visitColumns(customFields: readonly string[]): CsvColumn[] {
  return [
    { name: "Viewer email", type: "text" },
    { name: "Viewer name", type: "text" },
    { name: "Viewed at", type: "date" },
    { name: "Document", type: "text" },
    { name: "Document version", type: "number" },
    { name: "Total duration (s)", type: "decimal" },
    { name: "Pages viewed", type: "number" },
    { name: "Total pages", type: "number" },
    { name: "Link", type: "text" },
    ...customFields.map((name) => ({ name, type: "text" as const })),
  ];
}

function customValue(fields: Prisma.JsonValue, name: string): unknown {
  if (!fields || typeof fields !== "object" || Array.isArray(fields)) return null;
  const value = (fields as Record<string, unknown>)[name];
  return value === undefined ? null : typeof value === "object" && value !== null ? JSON.stringify(value) : value;
}

export function visitRow(view: ExportedView, durations: ViewDurations, customFields: readonly string[]): unknown[] {
  const version = view.documentVersion ?? view.document.versions[0] ?? null;
  const [totalMs, pagesViewed] = durations[view.id] ?? [0, 0];
  return [
    view.viewerEmail,
    view.viewerName,
    view.viewedAt,
    view.document.name,
    view.documentVersion?.versionNumber ?? null,
    (totalMs / 1000).toFixed(3),
    pagesViewed,
    version?.numPages ?? null,
    view.link?.name ?? null,
    ...customFields.map((name) => customValue(view.customFields, name)),
  ];
}

/** Every view in scope up to the cut-off, a page at a time, as rows. */
export async function* visitRows(
  filter: Prisma.ViewWhereInput,
  cutoff: Date,
  durations: ViewDurations,
  customFields: readonly string[],
  signal: AbortSignal,
): AsyncGenerator<unknown[][]> {
  let after: ViewCursor = null;
  for (;;) {
    signal.throwIfAborted();
    const page = await viewPage(filter, cutoff, after, PAGE);
    if (page.length) yield page.map((view) => visitRow(view, durations, customFields));
    if (page.length < PAGE) return;
    after = cursorAfter(page);
  }
}
