import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { db } from "~/server/db";

import { createAnalyticsProvider } from "./create-analytics-provider";
import { LocalAnalyticsProvider } from "./local-analytics-provider";

const suffix = randomUUID().slice(0, 8);
let teamId: string;
let documentId: string;
const viewIds: string[] = [];

beforeAll(async () => {
  const team = await db.team.create({ data: { name: `analytics-${suffix}` } });
  teamId = team.id;
  const document = await db.document.create({ data: { teamId, name: `deck-${suffix}` } });
  documentId = document.id;
  for (let i = 0; i < 3; i++) {
    const view = await db.view.create({ data: { documentId } });
    viewIds.push(view.id);
  }
  const [v0, v1] = viewIds as [string, string, string];
  await db.pageView.createMany({
    data: [
      { viewId: v0, pageNumber: 2, durationMs: 700, browser: "Firefox", os: "Windows", device: "Desktop", country: "FR", city: "Lyon" },
      { viewId: v0, pageNumber: 1, durationMs: 1_000, browser: "Chrome", os: "Mac OS", device: "Desktop", country: "DE", city: "Berlin" },
      // A page seen twice in one view is summed, as the Tinybird pipes sum it.
      { viewId: v0, pageNumber: 1, durationMs: 250 },
      { viewId: v1, pageNumber: 1, durationMs: 42, browser: "Mobile Safari", os: "iOS", device: "Mobile" },
    ],
  });
});

afterAll(async () => {
  // Cascades to the views and their page views.
  await db.team.delete({ where: { id: teamId } });
});

describe("LocalAnalyticsProvider", () => {
  it("reads where each view was seen from off its first page view, and nothing for a view without page views", async () => {
    const [v0, v1, v2] = viewIds as [string, string, string];
    const agents = await new LocalAnalyticsProvider({ db }).viewAgents([v0, v1, v2].map((viewId) => ({ viewId, documentId })));
    expect(agents).toEqual(
      new Map([
        [v0, { browser: "Chrome", os: "Mac OS", device: "Desktop", country: "DE", city: "Berlin" }],
        [v1, { browser: "Mobile Safari", os: "iOS", device: "Mobile", country: null, city: null }],
      ]),
    );
  });

  it("reads summed, sorted page durations per view, with an empty list for a view without page views", async () => {
    const [v0, v1, v2] = viewIds as [string, string, string];
    const provider = new LocalAnalyticsProvider({ db });
    const result = await provider.pageDurations([v0, v1, v2, "no-such-view"].map((viewId) => ({ viewId, documentId })));
    expect(result).toEqual(
      new Map([
        [
          v0,
          [
            { pageNumber: 1, durationMs: 1_250 },
            { pageNumber: 2, durationMs: 700 },
          ],
        ],
        [v1, [{ pageNumber: 1, durationMs: 42 }]],
        [v2, []],
        ["no-such-view", []],
      ]),
    );
  });

  it("uses one query per batch of views", async () => {
    let queries = 0;
    const counting = {
      pageView: {
        groupBy: ((args: unknown) => {
          queries++;
          return (db.pageView.groupBy as (a: unknown) => unknown)(args);
        }) as typeof db.pageView.groupBy,
      },
    } as Pick<typeof db, "pageView">;
    const provider = new LocalAnalyticsProvider({ db: counting, batchSize: 2 });
    const result = await provider.pageDurations(viewIds.map((viewId) => ({ viewId, documentId })));
    expect(queries).toBe(2);
    expect(result.get(viewIds[1]!)).toEqual([{ pageNumber: 1, durationMs: 42 }]);
  });

  it("is what createAnalyticsProvider picks without a Tinybird token", () => {
    const provider = createAnalyticsProvider({ tinybird: { token: "", apiUrl: "https://api.tinybird.co", mode: "batched" }, db });
    expect(provider.name).toBe("local");
  });
});
