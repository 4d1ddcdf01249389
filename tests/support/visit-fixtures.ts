/**
 * A team with a document, a dataroom and two groups, and views with page durations, made
 * with the app's Prisma client. Durations are deterministic so tests can recompute them.
 */
import { db } from "~/server/db";

import { createTeamWithUser, uniqueName } from "./fixtures";

export type SeededView = { id: string; email: string; name: string; viewedAt: Date; groupId: string | null; pages: { pageNumber: number; durationMs: number }[] };

export async function seedVisits(options: { views: number; groupEvery?: number }) {
  const { team, user } = await createTeamWithUser("OWNER");
  const document = await db.document.create({ data: { teamId: team.id, name: `Deck, "final" 🚀 ${uniqueName("doc")}` } });
  const version = await db.documentVersion.create({ data: { documentId: document.id, versionNumber: 2, numPages: 8 } });
  const dataroom = await db.dataroom.create({ data: { teamId: team.id, name: uniqueName("Dataroom") } });
  await db.dataroomDocument.create({ data: { dataroomId: dataroom.id, documentId: document.id } });
  const investors = await db.dataroomGroup.create({ data: { dataroomId: dataroom.id, name: "Investors" } });
  const legal = await db.dataroomGroup.create({ data: { dataroomId: dataroom.id, name: "Legal" } });
  const groupLink = await db.link.create({ data: { name: "Investors link", dataroomId: dataroom.id, groupId: investors.id } });
  const openLink = await db.link.create({ data: { name: "Open link", dataroomId: dataroom.id } });
  const otherRoom = await db.dataroom.create({ data: { teamId: team.id, name: uniqueName("Other room") } });

  const seeded: SeededView[] = [];
  const groupEvery = options.groupEvery ?? 4;
  for (let i = 0; i < options.views; i++) {
    const inGroup = i % groupEvery === 0;
    const pages = Array.from({ length: (i % 8) + 1 }, (_, p) => ({ pageNumber: p + 1, durationMs: 1000 + ((i * 37 + p * 101) % 9000) }));
    const view = await db.view.create({
      data: {
        documentId: document.id,
        documentVersionId: version.id,
        dataroomId: dataroom.id,
        groupId: inGroup ? investors.id : null,
        linkId: inGroup ? groupLink.id : openLink.id,
        viewerEmail: `viewer${i}@example.test`,
        viewerName: i % 5 === 0 ? `=HYPERLINK("x") ${i}` : `Viewer ${i}`,
        viewedAt: new Date(Date.UTC(2026, 9, 1, 0, 0, i)),
        customFields: { company: `Acme ${i}, Inc.`, role: i % 2 ? "=CFO" : "CEO" },
        pageViews: { create: pages },
      },
    });
    seeded.push({ id: view.id, email: view.viewerEmail!, name: view.viewerName!, viewedAt: view.viewedAt, groupId: view.groupId, pages });
  }
  return { team, user, document, version, dataroom, investors, legal, otherRoom, views: seeded };
}

export function durationsOf(views: SeededView[]) {
  return new Map(views.map((v) => [v.id, v.pages]));
}
