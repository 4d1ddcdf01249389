/**
 * A visit export's columns and rows, in Papermark's order and header names, then our own
 * extra columns, then each custom field as a "Custom Field N Label" / "Value" pair. Two
 * layouts: a document's (one row per view) and a dataroom's or group's (one row per document
 * viewed in a dataroom visit, and one per visit that opened no document). What analytics
 * know of each view comes from the batches fetched beforehand. An unknown value is an empty
 * cell, never Papermark's "NaN".
 */
import type { Prisma } from "~/generated/prisma/client";
import { type Column, typedColumn } from "~/server/columns";

import { emptyVisitPage, type ExportedView, type ExportedVisit, pages, viewPage } from "./visit-query";

/** Per view: total time in ms, distinct pages seen, then browser, OS, device, country and city. */
export type ViewAnalytics = Record<
  string,
  [totalMs: number, pagesViewed: number, browser: string | null, os: string | null, device: string | null, country: string | null, city: string | null]
>;

/** What every view and visit in scope is, fixed when the export loads. */
export type VisitScope = { views: Prisma.ViewWhereInput; emptyVisits: Prisma.DataroomVisitWhereInput | null };

export interface VisitLayout {
  columns(customFields: readonly string[]): Column[];
  viewRow(view: ExportedView, analytics: ViewAnalytics, customFields: readonly string[]): unknown[];
  /** A dataroom visit that opened no document; only the dataroom layout has such rows. */
  emptyVisitRow?(visit: ExportedVisit, customFields: readonly string[]): unknown[];
  /** Where a view's custom-field answers are. */
  answersOf(view: ExportedView): Prisma.JsonValue;
}

const PAGE = 500;

const text = (name: string): Column => ({ name, type: "text" });
const date = (name: string): Column => ({ name, type: "date" });
const flag = (name: string): Column => ({ name, type: "boolean" });
/** Handed over as exact digits, so that a CSV shows "62.50"; the typed formats write a number. */
const decimal = (name: string): Column => typedColumn(name, { kind: "double" });
const integer = (name: string): Column => typedColumn(name, { kind: "int32" });

const agentColumns = ["Browser", "OS", "Device", "Country", "City"].map(text);
const extraColumns = [integer("Pages viewed"), integer("Total pages")];

function customFieldColumns(customFields: readonly string[]): Column[] {
  return customFields.flatMap((_, i) => [text(`Custom Field ${i + 1} Label`), text(`Custom Field ${i + 1} Value`)]);
}

function customFieldCells(fields: Prisma.JsonValue, customFields: readonly string[]): unknown[] {
  const answers = fields && typeof fields === "object" && !Array.isArray(fields) ? fields : {};
  return customFields.flatMap((name) => {
    const value = answers[name];
    if (value === undefined || value === null) return [null, null];
    return [name, typeof value === "object" ? JSON.stringify(value) : value];
  });
}

/** A viewer's entry, which a dataroom visit and a document view both record. */
type Entry = ExportedVisit;

/** Verified, and the agreement: accepted, its name, its content, when. */
function consentCells(entry: Entry): unknown[] {
  return [entry.verified, entry.agreementAcceptedAt !== null, entry.agreement?.name ?? null, entry.agreement?.content ?? null, entry.agreementAcceptedAt];
}

/** Duration, completion and version, with our extras: pages seen and the version's pages. */
function readingOf(view: ExportedView, analytics: ViewAnalytics) {
  const version = view.documentVersion ?? view.document.versions[0] ?? null;
  const [totalMs, pagesViewed, ...agent] = analytics[view.id] ?? [0, 0, null, null, null, null, null];
  const pages = version?.numPages ?? 0;
  return {
    seconds: (totalMs / 1000).toFixed(3),
    // Pages viewed ÷ the version's pages, as Papermark computes it; unknown without pages.
    completion: pages > 0 ? ((pagesViewed / pages) * 100).toFixed(2) : null,
    version: version?.versionNumber ?? null,
    agent,
    extras: [pagesViewed, version?.numPages ?? null],
  };
}

export const documentLayout: VisitLayout = {
  columns: (customFields) => [
    date("Viewed at"),
    text("Name"),
    text("Email"),
    text("Link Name"),
    decimal("Total View Duration (s)"),
    decimal("Total Document Completion (%)"),
    integer("Document version"),
    date("Downloaded at"),
    flag("Verified"),
    flag("Agreement Accepted"),
    text("Agreement Name"),
    text("Agreement Content"),
    date("Agreement Accepted At"),
    flag("Viewed from dataroom"),
    ...agentColumns,
    ...extraColumns,
    ...customFieldColumns(customFields),
  ],
  viewRow(view, analytics, customFields) {
    const reading = readingOf(view, analytics);
    return [
      view.viewedAt,
      view.viewerName,
      view.viewerEmail,
      view.link?.name ?? null,
      reading.seconds,
      reading.completion,
      reading.version,
      view.downloadedAt,
      ...consentCells(view),
      view.dataroomId !== null,
      ...reading.agent,
      ...reading.extras,
      ...customFieldCells(view.customFields, customFields),
    ];
  },
  answersOf: (view) => view.customFields,
};

/** The visit's cells: when, downloaded, who, through which link, verified, the agreement. */
function visitCells(visit: Entry, downloadedAt: Date | null): unknown[] {
  const [verified, ...agreement] = consentCells(visit);
  return [visit.viewedAt, downloadedAt, visit.viewerName, visit.viewerEmail, visit.link?.name ?? null, verified, ...agreement];
}

export const dataroomLayout: VisitLayout = {
  columns: (customFields) => [
    date("Dataroom Viewed At"),
    date("Dataroom Downloaded At"),
    text("Visitor Name"),
    text("Visitor Email"),
    text("Link Name"),
    flag("Verified"),
    flag("Agreement Accepted"),
    text("Agreement Name"),
    text("Agreement Content"),
    date("Agreement Accepted At"),
    text("Document Name"),
    date("Document Viewed At"),
    date("Document Downloaded At"),
    decimal("Total Visit Duration (s)"),
    decimal("Total Document Completion (%)"),
    integer("Document Version"),
    ...agentColumns,
    ...extraColumns,
    ...customFieldColumns(customFields),
  ],
  viewRow(view, analytics, customFields) {
    const reading = readingOf(view, analytics);
    // A view recorded before dataroom visits were kept stands for its own visit.
    const visit = view.dataroomVisit ?? view;
    return [
      ...visitCells(visit, view.dataroomVisit?.downloadedAt ?? null),
      view.document.name,
      view.viewedAt,
      view.downloadedAt,
      reading.seconds,
      reading.completion,
      reading.version,
      ...reading.agent,
      ...reading.extras,
      ...customFieldCells(visit.customFields, customFields),
    ];
  },
  emptyVisitRow: (visit, customFields) => [
    ...visitCells(visit, visit.downloadedAt),
    // No document: its name, viewed and downloaded at, duration, completion, version, user agent and our extras.
    ...Array<null>(6 + agentColumns.length + extraColumns.length).fill(null),
    ...customFieldCells(visit.customFields, customFields),
  ],
  answersOf: (view) => (view.dataroomVisit ?? view).customFields,
};

/** Every view in scope up to the cut-off, then every visit that opened no document, a page at a time, as rows. */
export async function* visitRows(
  layout: VisitLayout,
  scope: VisitScope,
  cutoff: Date,
  analytics: ViewAnalytics,
  customFields: readonly string[],
  signal: AbortSignal,
): AsyncGenerator<unknown[][]> {
  for await (const views of pages((after, take) => viewPage(scope.views, cutoff, after, take), PAGE, signal)) {
    yield views.map((view) => layout.viewRow(view, analytics, customFields));
  }
  const { emptyVisits } = scope;
  const emptyVisitRow = layout.emptyVisitRow;
  if (!emptyVisits || !emptyVisitRow) return;
  for await (const visits of pages((after, take) => emptyVisitPage(emptyVisits, cutoff, after, take), PAGE, signal)) {
    yield visits.map((visit) => emptyVisitRow(visit, customFields));
  }
}
