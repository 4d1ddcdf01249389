/**
 * Which views (and, in a dataroom, which visits that opened no document) a visit export
 * covers, read in stable pages. The order (viewedAt, id) and a cut-off fixed when the export
 * starts make every page the same on every replay of a run, so a checkpointed batch always
 * means the same views.
 */
import type { Prisma } from "~/generated/prisma/client";
import { db } from "~/server/db";

/** Where a page starts: just after this record, in (viewedAt, id) order. */
export type ViewCursor = { viewedAt: string; id: string } | null;

/** What a document view and a dataroom visit both record of the viewer's entry. */
const entrySelect = {
  id: true,
  viewerEmail: true,
  viewerName: true,
  viewedAt: true,
  downloadedAt: true,
  verified: true,
  agreementAcceptedAt: true,
  customFields: true,
  agreement: { select: { name: true, content: true } },
  link: { select: { name: true } },
} as const;

export const viewSelect = {
  ...entrySelect,
  documentId: true,
  dataroomId: true,
  document: { select: { name: true, versions: { select: { versionNumber: true, numPages: true }, orderBy: { versionNumber: "desc" }, take: 1 } } },
  documentVersion: { select: { versionNumber: true, numPages: true } },
  dataroomVisit: { select: entrySelect },
} as const satisfies Prisma.ViewSelect;

export const visitSelect = entrySelect satisfies Prisma.DataroomVisitSelect;

export type ExportedView = Prisma.ViewGetPayload<{ select: typeof viewSelect }>;
export type ExportedVisit = Prisma.DataroomVisitGetPayload<{ select: typeof visitSelect }>;

function inScope(cutoff: Date, after: ViewCursor) {
  const afterCursor = after
    ? { OR: [{ viewedAt: { gt: new Date(after.viewedAt) } }, { viewedAt: new Date(after.viewedAt), id: { gt: after.id } }] }
    : {};
  return [{ viewedAt: { lte: cutoff } }, afterCursor];
}

const pageOrder = [{ viewedAt: "asc" }, { id: "asc" }] as const satisfies Prisma.ViewOrderByWithRelationInput[];

export async function countViews(filter: Prisma.ViewWhereInput, cutoff: Date): Promise<number> {
  return db.view.count({ where: { AND: [filter, ...inScope(cutoff, null)] } });
}

export async function viewPage(filter: Prisma.ViewWhereInput, cutoff: Date, after: ViewCursor, take: number): Promise<ExportedView[]> {
  return db.view.findMany({ where: { AND: [filter, ...inScope(cutoff, after)] }, orderBy: pageOrder, take, select: viewSelect });
}

/** A dataroom visit that opened no document by the cut-off still gets its row. */
const withoutViews = (cutoff: Date): Prisma.DataroomVisitWhereInput => ({ views: { none: { viewedAt: { lte: cutoff } } } });

export async function countEmptyVisits(filter: Prisma.DataroomVisitWhereInput, cutoff: Date): Promise<number> {
  return db.dataroomVisit.count({ where: { AND: [filter, withoutViews(cutoff), ...inScope(cutoff, null)] } });
}

export async function emptyVisitPage(filter: Prisma.DataroomVisitWhereInput, cutoff: Date, after: ViewCursor, take: number): Promise<ExportedVisit[]> {
  return db.dataroomVisit.findMany({
    where: { AND: [filter, withoutViews(cutoff), ...inScope(cutoff, after)] },
    orderBy: pageOrder,
    take,
    select: visitSelect,
  });
}

export function cursorAfter(records: readonly { viewedAt: Date; id: string }[]): ViewCursor {
  const last = records.at(-1);
  return last ? { viewedAt: last.viewedAt.toISOString(), id: last.id } : null;
}

/** Every page of a paged query, in order. */
export async function* pages<T extends { viewedAt: Date; id: string }>(
  page: (after: ViewCursor, take: number) => Promise<T[]>,
  take: number,
  signal?: AbortSignal,
): AsyncGenerator<T[]> {
  let after: ViewCursor = null;
  for (;;) {
    signal?.throwIfAborted();
    const records = await page(after, take);
    if (records.length) yield records;
    if (records.length < take) return;
    after = cursorAfter(records);
  }
}

function fieldNames(fields: Prisma.JsonValue | undefined, into: Set<string>) {
  if (fields && typeof fields === "object" && !Array.isArray(fields)) for (const key of Object.keys(fields)) into.add(key);
}

/**
 * The custom-field names answered in scope, sorted, for the "Custom Field N" columns: each
 * view's own answers (`answersOf` says where a view's answers are), and those of the visits
 * that opened no document.
 */
export async function customFieldNames(
  scope: { views: Prisma.ViewWhereInput; emptyVisits: Prisma.DataroomVisitWhereInput | null },
  cutoff: Date,
  answersOf: (view: ExportedView) => Prisma.JsonValue,
): Promise<string[]> {
  const names = new Set<string>();
  for await (const views of pages((after, take) => viewPage(scope.views, cutoff, after, take), 1000)) {
    for (const view of views) fieldNames(answersOf(view), names);
  }
  const emptyVisits = scope.emptyVisits;
  if (emptyVisits) {
    for await (const visits of pages((after, take) => emptyVisitPage(emptyVisits, cutoff, after, take), 1000)) {
      for (const visit of visits) fieldNames(visit.customFields, names);
    }
  }
  return [...names].sort();
}
