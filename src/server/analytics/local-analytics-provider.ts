/**
 * Page durations and where each view was seen from, from the app's own PageView table, for
 * installs without a Tinybird token:
 * the app then works end to end with no external account. One grouped query per batch of
 * views; PostgreSQL is ours, so no rate limit applies.
 */
import type { PrismaClient } from "~/generated/prisma/client";

import {
  collectDurations,
  type AnalyticsProvider,
  type PageDurationsByView,
  type PageDurationsOptions,
  type ViewAgentsByView,
  type ViewRef,
} from "./analytics-provider";

export interface LocalAnalyticsProviderOptions {
  db: Pick<PrismaClient, "pageView">;
  /** View ids per query; keeps the bind-parameter count far below PostgreSQL's 65,535. */
  batchSize?: number;
}

export class LocalAnalyticsProvider implements AnalyticsProvider {
  readonly name = "local" as const;
  private readonly db: Pick<PrismaClient, "pageView">;
  private readonly batchSize: number;

  constructor(options: LocalAnalyticsProviderOptions) {
    this.db = options.db;
    this.batchSize = options.batchSize ?? 10_000;
  }

  async pageDurations(views: readonly ViewRef[], opts: PageDurationsOptions = {}): Promise<PageDurationsByView> {
    const ids = uniqueIds(views);
    const rows: { viewId: string; pageNumber: number; durationMs: number }[] = [];
    for (let i = 0; i < ids.length; i += this.batchSize) {
      opts.signal?.throwIfAborted();
      // Summed in the database, as Tinybird's pipe sums: a page visited twice is one entry.
      const groups = await this.db.pageView.groupBy({
        by: ["viewId", "pageNumber"],
        where: { viewId: { in: ids.slice(i, i + this.batchSize) } },
        _sum: { durationMs: true },
      });
      for (const g of groups) rows.push({ viewId: g.viewId, pageNumber: g.pageNumber, durationMs: g._sum.durationMs ?? 0 });
    }
    return collectDurations(ids, rows);
  }

  /** The first page view of each view (lowest page, then id), as Tinybird's pipe takes the earliest. */
  async viewAgents(views: readonly ViewRef[], opts: PageDurationsOptions = {}): Promise<ViewAgentsByView> {
    const ids = uniqueIds(views);
    const agents: ViewAgentsByView = new Map();
    for (let i = 0; i < ids.length; i += this.batchSize) {
      opts.signal?.throwIfAborted();
      const firsts = await this.db.pageView.findMany({
        where: { viewId: { in: ids.slice(i, i + this.batchSize) } },
        distinct: ["viewId"],
        orderBy: [{ viewId: "asc" }, { pageNumber: "asc" }, { id: "asc" }],
        select: { viewId: true, browser: true, os: true, device: true, country: true, city: true },
      });
      for (const { viewId, ...agent } of firsts) agents.set(viewId, agent);
    }
    return agents;
  }
}

function uniqueIds(views: readonly ViewRef[]): string[] {
  return [...new Set(views.map((v) => v.viewId))];
}
