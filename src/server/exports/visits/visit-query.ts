/**
 * Which views a visit export covers, read in stable pages. The order (viewedAt, id) and a
 * cut-off fixed when the export starts make every page the same on every replay of a run,
 * so a checkpointed batch always means the same views.
 */
import type { Prisma } from "~/generated/prisma/client";
import { db } from "~/server/db";

/** Where a page starts: just after this view, in (viewedAt, id) order. */
export type ViewCursor = { viewedAt: string; id: string } | null;

export const viewSelect = {
  id: true,
  documentId: true,
  viewerEmail: true,
  viewerName: true,
  viewedAt: true,
  customFields: true,
  document: { select: { name: true, versions: { select: { versionNumber: true, numPages: true }, orderBy: { versionNumber: "desc" }, take: 1 } } },
  documentVersion: { select: { versionNumber: true, numPages: true } },
  link: { select: { name: true } },
} as const satisfies Prisma.ViewSelect;

export type ExportedView = Prisma.ViewGetPayload<{ select: typeof viewSelect }>;

export async function countViews(filter: Prisma.ViewWhereInput, cutoff: Date): Promise<number> {
  return db.view.count({ where: { AND: [filter, { viewedAt: { lte: cutoff } }] } });
}

export async function viewPage(filter: Prisma.ViewWhereInput, cutoff: Date, after: ViewCursor, take: number): Promise<ExportedView[]> {
  const afterCursor: Prisma.ViewWhereInput = after
    ? { OR: [{ viewedAt: { gt: new Date(after.viewedAt) } }, { viewedAt: new Date(after.viewedAt), id: { gt: after.id } }] }
    : {};
  return db.view.findMany({
    where: { AND: [filter, { viewedAt: { lte: cutoff } }, afterCursor] },
    orderBy: [{ viewedAt: "asc" }, { id: "asc" }],
    take,
    select: viewSelect,
  });
}

export function cursorAfter(views: readonly { viewedAt: Date; id: string }[]): ViewCursor {
  const last = views.at(-1);
  return last ? { viewedAt: last.viewedAt.toISOString(), id: last.id } : null;
}

/** The custom-field names used by any view in scope, for the CSV's extra columns. */
export async function customFieldNames(filter: Prisma.ViewWhereInput, cutoff: Date): Promise<string[]> {
  const names = new Set<string>();
  let after: ViewCursor = null;
  for (;;) {
    const page: ExportedView[] = await viewPage(filter, cutoff, after, 1000);
    for (const view of page) {
      const fields = view.customFields;
      if (fields && typeof fields === "object" && !Array.isArray(fields)) for (const key of Object.keys(fields)) names.add(key);
    }
    if (page.length < 1000) break;
    after = cursorAfter(page);
  }
  return [...names].sort();
}
