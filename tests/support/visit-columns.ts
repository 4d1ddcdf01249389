/**
 * Visits that fill every column of the visit files: a document seen straight and from a
 * dataroom, verified and not, with and without an agreement, downloaded or not, with a
 * user agent or none; a dataroom visit that opened two documents, visits that opened none,
 * and a dataroom view recorded before dataroom visits were kept. And the rows a file must
 * have, computed from what the database holds, cell by cell as the CSV shows them.
 */
import type { FakeViewAgent } from "../../dev/fake-tinybird";
import { db } from "~/server/db";

import { createTeamWithUser, uniqueName } from "./fixtures";

const at = (minute: number) => new Date(Date.UTC(2026, 9, 2, 9, minute, 0));
const chrome = { browser: "Chrome", os: "Mac OS", device: "Desktop", country: "DE", city: "Berlin" };
const safari = { browser: "Mobile Safari", os: "iOS", device: "Mobile", country: "US", city: "New York, NY" };

export async function seedColumnVisits() {
  const { team, user } = await createTeamWithUser("OWNER");
  const agreement = await db.agreement.create({ data: { teamId: team.id, name: "NDA, 2026", content: 'You agree "not" to share.\nSigned.' } });
  const deck = await db.document.create({ data: { teamId: team.id, name: uniqueName("Deck") } });
  const deckV1 = await db.documentVersion.create({ data: { documentId: deck.id, versionNumber: 1, numPages: 4 } });
  await db.documentVersion.create({ data: { documentId: deck.id, versionNumber: 2, numPages: 6 } });
  const model = await db.document.create({ data: { teamId: team.id, name: "Model, FY2026" } });
  const modelV1 = await db.documentVersion.create({ data: { documentId: model.id, versionNumber: 1, numPages: 3 } });
  const dataroom = await db.dataroom.create({ data: { teamId: team.id, name: uniqueName("Room") } });
  await db.dataroomDocument.createMany({ data: [deck, model].map((d) => ({ dataroomId: dataroom.id, documentId: d.id })) });
  const group = await db.dataroomGroup.create({ data: { dataroomId: dataroom.id, name: "Investors", members: { create: { email: "alice@fund.test" } } } });
  const deckLink = await db.link.create({ data: { name: "Deck link", documentId: deck.id } });
  const roomLink = await db.link.create({ data: { name: "Room link", dataroomId: dataroom.id } });
  const groupLink = await db.link.create({ data: { name: "Investors link", dataroomId: dataroom.id, groupId: group.id } });

  // Straight to the document: verified, agreed, downloaded, from Chrome; and one with nothing known.
  await db.view.create({
    data: {
      documentId: deck.id,
      documentVersionId: deckV1.id,
      linkId: deckLink.id,
      viewerEmail: "ann@example.test",
      viewerName: "Ann O'Neil",
      viewedAt: at(1),
      downloadedAt: at(2),
      verified: true,
      agreementId: agreement.id,
      agreementAcceptedAt: at(1),
      customFields: { company: "Acme, Inc." },
      pageViews: { create: [1, 2, 2, 3].map((pageNumber, i) => ({ pageNumber, durationMs: 1000 + i * 250, ...chrome })) },
    },
  });
  await db.view.create({ data: { documentId: deck.id, viewedAt: at(3) } });

  // A group member's dataroom visit that opened both documents.
  const visit = await db.dataroomVisit.create({
    data: {
      dataroomId: dataroom.id,
      groupId: group.id,
      linkId: groupLink.id,
      viewerEmail: "alice@fund.test",
      viewerName: "Alice",
      viewedAt: at(10),
      downloadedAt: at(20),
      verified: true,
      agreementId: agreement.id,
      agreementAcceptedAt: at(10),
      customFields: { company: "Northwind Fund", role: "Partner" },
    },
  });
  const inVisit = { dataroomId: dataroom.id, dataroomVisitId: visit.id, groupId: group.id, linkId: groupLink.id, viewerEmail: "alice@fund.test", viewerName: "Alice" };
  await db.view.create({
    data: { ...inVisit, documentId: deck.id, viewedAt: at(11), pageViews: { create: [1, 2, 3].map((pageNumber) => ({ pageNumber, durationMs: 700 * pageNumber, ...safari })) } },
  });
  await db.view.create({
    data: {
      ...inVisit,
      documentId: model.id,
      documentVersionId: modelV1.id,
      viewedAt: at(12),
      downloadedAt: at(13),
      pageViews: { create: [{ pageNumber: 2, durationMs: 4321, ...safari, city: null }] },
    },
  });
  // Recorded before dataroom visits were kept: the view stands for its own visit.
  await db.view.create({
    data: {
      documentId: deck.id,
      documentVersionId: deckV1.id,
      dataroomId: dataroom.id,
      linkId: roomLink.id,
      viewerEmail: "carol@example.test",
      viewerName: "Carol",
      viewedAt: at(30),
      customFields: { role: "Legal" },
      pageViews: { create: [{ pageNumber: 4, durationMs: 999, ...chrome }] },
    },
  });
  // Visits that opened no document: one through the open link, one of the group.
  await db.dataroomVisit.create({ data: { dataroomId: dataroom.id, linkId: roomLink.id, viewerEmail: "bob@example.test", viewedAt: at(40), customFields: { role: "CFO" } } });
  await db.dataroomVisit.create({ data: { dataroomId: dataroom.id, groupId: group.id, viewerEmail: "alice@fund.test", viewedAt: at(41), verified: true } });
  return { team, user, deck, dataroom, group };
}

/** What the fake Tinybird answers for each view: its first page view's user agent, as its pipe does. */
export async function agentsInDatabase(): Promise<Map<string, FakeViewAgent>> {
  const firsts = await db.pageView.findMany({ distinct: ["viewId"], orderBy: [{ viewId: "asc" }, { pageNumber: "asc" }, { id: "asc" }] });
  return new Map(
    firsts.map((p) => [p.viewId, { browser: p.browser ?? "", os: p.os ?? "", device: p.device ?? "", country: p.country ?? "", city: p.city ?? "" }]),
  );
}

/** Page durations per view, summed per page, as the fake Tinybird serves them. */
export async function durationsInDatabase() {
  const groups = await db.pageView.groupBy({ by: ["viewId", "pageNumber"], _sum: { durationMs: true }, orderBy: [{ viewId: "asc" }, { pageNumber: "asc" }] });
  const map = new Map<string, { pageNumber: number; durationMs: number }[]>();
  for (const g of groups) map.set(g.viewId, [...(map.get(g.viewId) ?? []), { pageNumber: g.pageNumber, durationMs: g._sum.durationMs ?? 0 }]);
  return map;
}

const iso = (d: Date | null | undefined) => d?.toISOString() ?? "";
const str = (v: string | null | undefined) => v ?? "";
const answers = (fields: unknown) => (fields && typeof fields === "object" ? (fields as Record<string, string>) : {});
const customCells = (fields: unknown, names: string[]) => names.flatMap((n) => (answers(fields)[n] === undefined ? ["", ""] : [n, answers(fields)[n]!]));

async function viewsWhere(where: object) {
  return db.view.findMany({
    where,
    orderBy: [{ viewedAt: "asc" }, { id: "asc" }],
    include: {
      document: { include: { versions: { orderBy: { versionNumber: "desc" } } } },
      documentVersion: true,
      link: true,
      agreement: true,
      pageViews: { orderBy: [{ pageNumber: "asc" }, { id: "asc" }] },
      dataroomVisit: { include: { link: true, agreement: true } },
    },
  });
}
type FullView = Awaited<ReturnType<typeof viewsWhere>>[number];

/** Duration (s), completion (%), version, browser … city, pages viewed, total pages. */
function readingCells(view: FullView) {
  const version = view.documentVersion ?? view.document.versions[0];
  const total = view.pageViews.reduce((s, p) => s + p.durationMs, 0);
  const pages = new Set(view.pageViews.map((p) => p.pageNumber)).size;
  const first = view.pageViews[0];
  return {
    numbers: [(total / 1000).toFixed(3), version ? ((pages / version.numPages) * 100).toFixed(2) : "", String(version?.versionNumber ?? "")],
    agent: [str(first?.browser), str(first?.os), str(first?.device), str(first?.country), str(first?.city)],
    extras: [String(pages), String(version?.numPages ?? "")],
  };
}

type Entry = { verified: boolean; agreementAcceptedAt: Date | null; agreement: { name: string; content: string } | null };
const consent = (e: Entry) => [String(e.verified), String(e.agreementAcceptedAt !== null), str(e.agreement?.name), str(e.agreement?.content), iso(e.agreementAcceptedAt)];

export async function expectedDocumentRows(documentId: string, customFields: string[]): Promise<string[][]> {
  return (await viewsWhere({ documentId })).map((v) => {
    const r = readingCells(v);
    return [iso(v.viewedAt), str(v.viewerName), str(v.viewerEmail), str(v.link?.name), ...r.numbers, iso(v.downloadedAt), ...consent(v), String(v.dataroomId !== null), ...r.agent, ...r.extras, ...customCells(v.customFields, customFields)];
  });
}

/** A group's scope by its own rule: recorded against it, through its links, or by its members. */
export async function expectedDataroomRows(dataroomId: string, customFields: string[], groupId?: string): Promise<string[][]> {
  const members = groupId ? (await db.dataroomGroupMember.findMany({ where: { groupId } })).map((m) => m.email) : [];
  const ofGroup = groupId ? { OR: [{ groupId }, { link: { groupId } }, { viewerEmail: { in: members } }] } : {};
  const views = await viewsWhere({ dataroomId, ...ofGroup });
  const empty = await db.dataroomVisit.findMany({
    where: { dataroomId, ...ofGroup, views: { none: {} } },
    orderBy: [{ viewedAt: "asc" }, { id: "asc" }],
    include: { link: true, agreement: true },
  });
  const visitCells = (e: Entry & { viewedAt: Date; viewerName: string | null; viewerEmail: string | null; link: { name: string } | null }, downloadedAt: Date | null) => {
    const [verified, ...agreement] = consent(e);
    return [iso(e.viewedAt), iso(downloadedAt), str(e.viewerName), str(e.viewerEmail), str(e.link?.name), verified!, ...agreement];
  };
  return [
    ...views.map((v) => {
      const r = readingCells(v);
      const visit = v.dataroomVisit ?? v;
      return [...visitCells(visit, v.dataroomVisit?.downloadedAt ?? null), v.document.name, iso(v.viewedAt), iso(v.downloadedAt), ...r.numbers, ...r.agent, ...r.extras, ...customCells(visit.customFields, customFields)];
    }),
    ...empty.map((e) => [...visitCells(e, e.downloadedAt), ...Array<string>(13).fill(""), ...customCells(e.customFields, customFields)]),
  ];
}
