/**
 * Documents, a dataroom with two groups, links, and a few hundred visits with their page
 * durations, downloads, verifications, an agreement and where each view was seen from, and
 * dataroom visits that open one or more documents, for the visit exports (so that a demo
 * export fills every column). Built by a pure, seeded function with fixed ids, so
 * tests can recompute every record and a second run inserts nothing. Visit times sit in
 * the 30 days before a fixed date rather than before "now", for the same reason.
 */
import { type Prisma, type PrismaClient } from "~/generated/prisma/client";

import { DEMO_TEAM_ID, OTHER_TEAM_ID } from "./accounts";
import { createRandom, type Random } from "./random";

export const DEMO_VISITS_END = new Date("2026-11-01T00:00:00.000Z");
const DAY_MS = 24 * 3600 * 1000;
const DEMO_VISIT_COUNT = 300;
const OTHER_TEAM_VISIT_COUNT = 5;
const SEED = 30;
/** The columns added later draw from a generator of their own, so the older data stays as it was. */
const DETAILS_SEED = 31;
const MINUTE_MS = 60_000;

export const DEMO_DATAROOM_ID = "seed_dataroom_series_a";
export const DEMO_GROUP_IDS = { investors: "seed_group_investors", legal: "seed_group_legal" } as const;

/** Names with a comma, quotes and an emoji: they end up in CSV cells and file names. */
const DOCUMENTS = [
  { key: "pitch", teamId: DEMO_TEAM_ID, name: "Pitch Deck.pdf", pages: [10, 12] },
  { key: "model", teamId: DEMO_TEAM_ID, name: "Financial Model, FY2026.xlsx", pages: [8] },
  { key: "terms", teamId: DEMO_TEAM_ID, name: 'Term Sheet "Draft".docx', pages: [3] },
  { key: "notes", teamId: DEMO_TEAM_ID, name: "Café Notes 🚀.pdf", pages: [5, 6] },
  { key: "other", teamId: OTHER_TEAM_ID, name: "Other Team Plan.pdf", pages: [4] },
] as const;

type DocumentKey = (typeof DOCUMENTS)[number]["key"];
const DATAROOM_DOCUMENTS: readonly DocumentKey[] = ["pitch", "model", "terms", "notes"];

const GROUPS = [
  { id: DEMO_GROUP_IDS.investors, name: "Investors", members: ["alice@northwind-capital.example", "bob@acme-ventures.example"] },
  { id: DEMO_GROUP_IDS.legal, name: "Legal", members: ["carol@lawfirm.example", "dan@lawfirm.example"] },
] as const;

const VIEWERS: ReadonlyArray<{ email: string | null; name: string | null }> = [
  { email: "erin@example.com", name: "Erin O'Brien" },
  { email: "frank@example.org", name: "Frank, Jr." },
  { email: "zoe@example.net", name: "Zoë 🚀" },
  { email: "grace@example.com", name: null },
  { email: "heidi@example.com", name: '"Heidi" =Boss' },
  { email: null, name: null },
];

/** Answers to a link's custom fields, with a comma and formula-like cells for the CSV writer. */
const CUSTOM_FIELDS: readonly Prisma.InputJsonObject[] = [
  { company: "Acme, Inc.", role: "=CFO" },
  { company: 'Globex "International"', role: "+Partner" },
  { company: "Umbrella\nHoldings", role: "-Analyst" },
  { company: "Initech 🚀", role: "@Legal" },
];

const AGREEMENT = {
  id: "seed_agreement_nda",
  teamId: DEMO_TEAM_ID,
  name: "Series A NDA",
  content: "The recipient keeps everything in this dataroom confidential, and uses it only to evaluate the investment.",
};

/** Where views are seen from, as Tinybird parses the user agent and the location. */
const AGENTS = [
  { browser: "Chrome", os: "Mac OS", device: "Desktop", country: "US", city: "San Francisco" },
  { browser: "Mobile Safari", os: "iOS", device: "Mobile", country: "GB", city: "London" },
  { browser: "Firefox", os: "Windows", device: "Desktop", country: "DE", city: "Berlin" },
  { browser: "Edge", os: "Windows", device: "Desktop", country: "FR", city: "Paris" },
  { browser: "Chrome", os: "Android", device: "Tablet", country: "IN", city: null },
] as const;

export interface DemoVisitRecords {
  documents: Prisma.DocumentCreateManyInput[];
  versions: Prisma.DocumentVersionCreateManyInput[];
  datarooms: Prisma.DataroomCreateManyInput[];
  dataroomDocuments: Prisma.DataroomDocumentCreateManyInput[];
  groups: Prisma.DataroomGroupCreateManyInput[];
  groupMembers: Prisma.DataroomGroupMemberCreateManyInput[];
  links: Prisma.LinkCreateManyInput[];
  agreements: Prisma.AgreementCreateManyInput[];
  dataroomVisits: Prisma.DataroomVisitCreateManyInput[];
  views: Prisma.ViewCreateManyInput[];
  pageViews: Prisma.PageViewCreateManyInput[];
}

const documentId = (key: DocumentKey) => `seed_doc_${key}`;
const versionId = (key: DocumentKey, version: number) => `seed_doc_${key}_v${version}`;
const documentLinkId = (key: DocumentKey) => `seed_link_doc_${key}`;
const DATAROOM_LINK_ID = "seed_link_dataroom";
const groupLinkId = (groupId: string) => `${groupId}_link`;

type Visit = Pick<Prisma.ViewCreateManyInput, "documentId" | "dataroomId" | "groupId" | "linkId" | "viewerEmail" | "viewerName">;

function pickVisit(index: number, random: Random): Visit {
  const anyViewer = () => random.pick(VIEWERS);
  // A quarter each: straight to a document, through the dataroom, through each group.
  switch (index % 4) {
    case 0: {
      const key = random.pick(DATAROOM_DOCUMENTS);
      const viewer = anyViewer();
      return { documentId: documentId(key), linkId: documentLinkId(key), viewerEmail: viewer.email, viewerName: viewer.name };
    }
    case 1: {
      const viewer = anyViewer();
      return {
        documentId: documentId(random.pick(DATAROOM_DOCUMENTS)),
        dataroomId: DEMO_DATAROOM_ID,
        linkId: DATAROOM_LINK_ID,
        viewerEmail: viewer.email,
        viewerName: viewer.name,
      };
    }
    default: {
      const group = GROUPS[index % 4 === 2 ? 0 : 1];
      return {
        documentId: documentId(random.pick(DATAROOM_DOCUMENTS)),
        dataroomId: DEMO_DATAROOM_ID,
        groupId: group.id,
        linkId: groupLinkId(group.id),
        viewerEmail: random.pick(group.members),
        viewerName: null,
      };
    }
  }
}

function addView(records: DemoVisitRecords, id: string, visit: Visit, random: Random) {
  const document = DOCUMENTS.find((d) => documentId(d.key) === visit.documentId)!;
  // Most visits see the latest version; some saw an earlier one.
  const version = document.pages.length > 1 && random.chance(0.3) ? 1 : document.pages.length;
  const pages = document.pages[version - 1]!;
  const custom = random.chance(0.35) ? random.pick(CUSTOM_FIELDS) : undefined;
  records.views.push({
    id,
    ...visit,
    documentVersionId: versionId(document.key, version),
    viewedAt: new Date(DEMO_VISITS_END.getTime() - Math.floor(random.next() * 30 * DAY_MS)),
    ...(custom ? { customFields: custom } : {}),
  });
  const pagesRead = random.int(1, pages);
  for (let page = 1; page <= pagesRead; page++) {
    records.pageViews.push({ id: `${id}_p${page}`, viewId: id, pageNumber: page, durationMs: random.int(800, 90_000) });
  }
  // A page read twice is two rows; analytics sum them per page.
  if (random.chance(0.1)) {
    records.pageViews.push({ id: `${id}_p1_again`, viewId: id, pageNumber: 1, durationMs: random.int(800, 30_000) });
  }
}

export function demoVisitRecords(): DemoVisitRecords {
  const random = createRandom(SEED);
  const records: DemoVisitRecords = {
    documents: DOCUMENTS.map((d) => ({ id: documentId(d.key), teamId: d.teamId, name: d.name })),
    versions: DOCUMENTS.flatMap((d) =>
      d.pages.map((numPages, index) => ({
        id: versionId(d.key, index + 1),
        documentId: documentId(d.key),
        versionNumber: index + 1,
        numPages,
      })),
    ),
    datarooms: [{ id: DEMO_DATAROOM_ID, teamId: DEMO_TEAM_ID, name: "Series A Dataroom" }],
    dataroomDocuments: DATAROOM_DOCUMENTS.map((key) => ({
      id: `seed_dataroom_doc_${key}`,
      dataroomId: DEMO_DATAROOM_ID,
      documentId: documentId(key),
    })),
    groups: GROUPS.map((g) => ({ id: g.id, dataroomId: DEMO_DATAROOM_ID, name: g.name })),
    groupMembers: GROUPS.flatMap((g) => g.members.map((email) => ({ id: `${g.id}_${email}`, groupId: g.id, email }))),
    links: [
      ...DOCUMENTS.map((d) => ({ id: documentLinkId(d.key), name: `${d.name} link`, documentId: documentId(d.key) })),
      { id: DATAROOM_LINK_ID, name: "Series A Dataroom link", dataroomId: DEMO_DATAROOM_ID },
      ...GROUPS.map((g) => ({ id: groupLinkId(g.id), name: `${g.name} only`, dataroomId: DEMO_DATAROOM_ID, groupId: g.id })),
    ],
    agreements: [AGREEMENT],
    dataroomVisits: [],
    views: [],
    pageViews: [],
  };
  for (let i = 0; i < DEMO_VISIT_COUNT; i++) {
    addView(records, `seed_view_${String(i).padStart(3, "0")}`, pickVisit(i, random), random);
  }
  for (let i = 0; i < OTHER_TEAM_VISIT_COUNT; i++) {
    const viewer = random.pick(VIEWERS);
    const visit = { documentId: documentId("other"), linkId: documentLinkId("other"), viewerEmail: viewer.email, viewerName: viewer.name };
    addView(records, `seed_view_other_${i}`, visit, random);
  }
  addDetails(records);
  return records;
}

/**
 * Downloads, verification, the agreement and user agents on every view, and the dataroom
 * visits: a dataroom view and the one four places later of the same kind (in each block of
 * eight) are one visit, by one viewer, a few minutes apart.
 */
function addDetails(records: DemoVisitRecords) {
  const random = createRandom(DETAILS_SEED);
  const visits = new Map<string, Prisma.DataroomVisitCreateManyInput & { opened: number }>();
  records.views.forEach((view, index) => {
    const viewedAt = view.viewedAt as Date;
    const agreed = view.documentId !== documentId("other") && random.chance(0.4);
    Object.assign(view, {
      downloadedAt: random.chance(0.25) ? new Date(Math.min(viewedAt.getTime() + random.int(1, 20) * MINUTE_MS, DEMO_VISITS_END.getTime())) : null,
      verified: random.chance(0.5),
      agreementId: agreed ? AGREEMENT.id : null,
      agreementAcceptedAt: agreed ? viewedAt : null,
      dataroomVisitId: null,
    });
    const agent = random.pick(AGENTS);
    for (const page of records.pageViews) if (page.viewId === view.id) Object.assign(page, agent);
    if (!view.dataroomId) return;

    const key = `seed_visit_${Math.floor(index / 8)}_${index % 4}`;
    const visit = visits.get(key);
    if (!visit) {
      visits.set(key, {
        id: key,
        dataroomId: view.dataroomId,
        groupId: view.groupId ?? null,
        linkId: view.linkId ?? null,
        viewerEmail: view.viewerEmail ?? null,
        viewerName: view.viewerName ?? null,
        viewedAt: new Date(viewedAt.getTime() - MINUTE_MS),
        downloadedAt: random.chance(0.2) ? viewedAt : null,
        verified: view.verified ?? false,
        agreementId: view.agreementId ?? null,
        agreementAcceptedAt: view.agreementAcceptedAt ?? null,
        ...(view.customFields ? { customFields: view.customFields } : {}),
        opened: 1,
      });
      view.dataroomVisitId = key;
      return;
    }
    // The visit's second document: same viewer, minutes after the visit began.
    const start = (visit.viewedAt as Date).getTime();
    Object.assign(view, {
      dataroomVisitId: key,
      viewerEmail: visit.viewerEmail,
      viewerName: visit.viewerName,
      viewedAt: new Date(Math.min(start + (visit.opened + 1) * 3 * MINUTE_MS, DEMO_VISITS_END.getTime())),
    });
    visit.opened++;
  });
  records.dataroomVisits = [...visits.values()].map(({ opened: _opened, ...visit }) => visit);
}

/** Inserts what is missing, parents before children. */
export async function seedVisits(db: PrismaClient): Promise<DemoVisitRecords> {
  const records = demoVisitRecords();
  const skipDuplicates = true;
  await db.document.createMany({ data: records.documents, skipDuplicates });
  await db.documentVersion.createMany({ data: records.versions, skipDuplicates });
  await db.dataroom.createMany({ data: records.datarooms, skipDuplicates });
  await db.dataroomDocument.createMany({ data: records.dataroomDocuments, skipDuplicates });
  await db.dataroomGroup.createMany({ data: records.groups, skipDuplicates });
  await db.dataroomGroupMember.createMany({ data: records.groupMembers, skipDuplicates });
  await db.link.createMany({ data: records.links, skipDuplicates });
  await db.agreement.createMany({ data: records.agreements, skipDuplicates });
  await db.dataroomVisit.createMany({ data: records.dataroomVisits, skipDuplicates });
  await db.view.createMany({ data: records.views, skipDuplicates });
  await db.pageView.createMany({ data: records.pageViews, skipDuplicates });
  return records;
}
