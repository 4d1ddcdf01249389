/**
 * What every visit kind (document, dataroom, dataroom group) shares: one run, the views in
 * scope fixed by a cut-off when the export loads, page durations fetched in checkpointed
 * batches, and one row per view. A visit kind defines only its input, its resource and which
 * views are in scope.
 */
import { getEnv } from "~/env";
import type { Prisma } from "~/generated/prisma/client";
import { exportLimits } from "~/server/exports/export-limits";
import { visitColumns, visitRows, type ViewDurations } from "~/server/exports/visits/visit-file";
import { countViews, cursorAfter, customFieldNames, type ViewCursor, viewPage } from "~/server/exports/visits/visit-query";
import type { ExportKind } from "~/server/exports/job/export-job";
import { getAnalytics } from "~/server/services";
import { safeFileName } from "~/server/storage";

import type { ExportKindDefinition, ExportRun, ExportTarget } from "./export-kind";

/** Silent for at most (3 retries) 30+30 + 60+30 + 120+30 s of the engine's back-off, rounded up. */
export const visitRun: ExportRun = {
  limits: { finishWithinMinutes: 15, retries: 3, silentForMs: 6 * 60_000, concurrencyPerTeam: 2, fileTtlSeconds: () => exportLimits().jobTtlSeconds },
  loadStep: "load views",
  produceStep: "write and upload",
};

/** Views recorded after the cut-off are left out, so every replay sees the same views. */
type VisitPlan = { cutoff: string; total: number; customFields: string[] };

type VisitKindSpec<Id extends ExportKind, Input extends ExportKindDefinition["input"]> = Pick<
  ExportKindDefinition<Id, Input>,
  "id" | "label" | "input" | "rest" | "target" | "findResource"
> & {
  /** The views the export covers. */
  viewFilter(target: ExportTarget): Promise<Prisma.ViewWhereInput>;
};

/** Views per checkpointed step: one batched Tinybird call, or ten seconds of per-view calls. */
const batchSize = () => (getEnv().TINYBIRD_MODE === "per-view" && getEnv().TINYBIRD_TOKEN ? 50 : 100);

export function defineVisitKind<Id extends ExportKind, Input extends ExportKindDefinition["input"]>(
  spec: VisitKindSpec<Id, Input>,
): ExportKindDefinition<Id, Input, VisitPlan, ViewDurations> {
  return {
    ...spec,
    unit: { one: "view", many: "views" },
    run: visitRun,

    viewCount: async (target) => countViews(await spec.viewFilter(target), new Date()),

    async load(_request, target, resource) {
      const filter = await spec.viewFilter(target);
      const cutoff = new Date();
      const total = await countViews(filter, cutoff);
      return {
        plan: { cutoff: cutoff.toISOString(), total, customFields: await customFieldNames(filter, cutoff) },
        fileStem: `visits_${safeFileName(resource.name, spec.id)}_${Math.floor(cutoff.getTime() / 1000)}`,
      };
    },

    /** One checkpoint per batch: a run that dies at batch 30 of 60 resumes at batch 31. */
    async collect(_request, target, plan, { checkpoint, progress }) {
      const size = batchSize();
      const batches = Math.ceil(plan.total / size);
      const durations: ViewDurations = {};
      let after: ViewCursor = null;
      for (let i = 0; i < batches; i++) {
        const from: ViewCursor = after;
        const batch = await checkpoint(`fetch durations ${i + 1}/${batches}`, async () => {
          const views = await viewPage(await spec.viewFilter(target), new Date(plan.cutoff), from, size);
          const byView = await getAnalytics().pageDurations(views.map((v) => ({ viewId: v.id, documentId: v.documentId })));
          const found: ViewDurations = {};
          for (const [viewId, pages] of byView) {
            found[viewId] = [pages.reduce((sum, p) => sum + p.durationMs, 0), pages.filter((p) => p.durationMs > 0).length];
          }
          await progress({ phase: "fetching durations", rows: Math.min(plan.total, (i + 1) * size), totalRows: plan.total, bytes: 0 });
          return { next: cursorAfter(views), durations: found };
        });
        Object.assign(durations, batch.durations);
        after = batch.next;
        if (!after) break;
      }
      return durations;
    },

    async produce(_request, target, plan, durations, ctx) {
      const filter = await spec.viewFilter(target);
      return {
        columns: visitColumns(plan.customFields),
        batches: visitRows(filter, new Date(plan.cutoff), durations, plan.customFields, ctx.signal),
        totalRows: plan.total,
      };
    },
  };
}
