import { db } from "~/server/db";

/** What a team can export visits of, with view counts, for the UI's picker. */
export async function listVisitResources(teamId: string) {
  const [documents, datarooms] = await Promise.all([
    db.document.findMany({ where: { teamId }, orderBy: { name: "asc" }, select: { id: true, name: true, _count: { select: { views: true } } } }),
    db.dataroom.findMany({
      where: { teamId },
      orderBy: { name: "asc" },
      select: {
        id: true,
        name: true,
        _count: { select: { views: true } },
        groups: { orderBy: { name: "asc" }, select: { id: true, name: true, _count: { select: { views: true } } } },
      },
    }),
  ]);
  return {
    documents: documents.map((d) => ({ id: d.id, name: d.name, viewCount: d._count.views })),
    datarooms: datarooms.map((r) => ({
      id: r.id,
      name: r.name,
      viewCount: r._count.views,
      groups: r.groups.map((g) => ({ id: g.id, name: g.name, viewCount: g._count.views })),
    })),
  };
}
