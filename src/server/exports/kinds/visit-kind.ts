/**
 * What every visit kind (document, dataroom, dataroom group) shares: one run, the views in
 * scope fixed by a cut-off when the export loads, page durations and user agents fetched in
 * checkpointed batches, and the rows of its file's layout. A visit kind defines only its
 * input, its resource, its layout and which views (and dataroom visits) are in scope.
 */
import { getEnv } from "~/env";
import { exportLimits } from "~/server/exports/export-limits";
import { type ViewAnalytics, type VisitLayout, visitRows, type VisitScope } from "~/server/exports/visits/visit-file";
import { countEmptyVisits, countViews, cursorAfter, customFieldNames, type ViewCursor, viewPage } from "~/server/exports/visits/visit-query";
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

/**
 * Views recorded after the cut-off are left out, so every replay sees the same views.
 * `total` counts the views (what the batches cover), `emptyVisits` the dataroom visits that
 * opened no document, each a row of its own.
 */
type VisitPlan = { cutoff: string; total: number; emptyVisits: number; customFields: string[] };

type VisitKindSpec<Id extends ExportKind, Input extends ExportKindDefinition["input"]> = Pick<
  ExportKindDefinition<Id, Input>,
  "id" | "label" | "input" | "rest" | "target" | "findResource"
> & {
  /** The file's columns and rows. */
  layout: VisitLayout;
  /** The views the export covers, and the dataroom visits whose empty rows it lists (none for a document). */
  scope(target: ExportTarget): Promise<VisitScope>;
};

/** Views per checkpointed step: one batched Tinybird call, or ten seconds of per-view calls. */
const batchSize = () => (getEnv().TINYBIRD_MODE === "per-view" && getEnv().TINYBIRD_TOKEN ? 50 : 100);

export function defineVisitKind<Id extends ExportKind, Input extends ExportKindDefinition["input"]>(
  spec: VisitKindSpec<Id, Input>,
): ExportKindDefinition<Id, Input, VisitPlan, ViewAnalytics> {
  const { layout, scope: scopeOf, ...kind } = spec;
  return {
    ...kind,
    unit: { one: "view", many: "views" },
    run: visitRun,

    viewCount: async (target) => countViews((await scopeOf(target)).views, new Date()),

    async load(_request, target, resource) {
      const scope = await scopeOf(target);
      const cutoff = new Date();
      const [total, emptyVisits, customFields] = await Promise.all([
        countViews(scope.views, cutoff),
        scope.emptyVisits ? countEmptyVisits(scope.emptyVisits, cutoff) : 0,
        customFieldNames(scope, cutoff, layout.answersOf),
      ]);
      return {
        plan: { cutoff: cutoff.toISOString(), total, emptyVisits, customFields },
        fileStem: `visits_${safeFileName(resource.name, spec.id)}_${Math.floor(cutoff.getTime() / 1000)}`,
      };
    },

    /** One checkpoint per batch: a run that dies at batch 30 of 60 resumes at batch 31. */
    async collect(_request, target, plan, { checkpoint, progress }) {
      const size = batchSize();
      const batches = Math.ceil(plan.total / size);
      const analytics: ViewAnalytics = {};
      let after: ViewCursor = null;
      for (let i = 0; i < batches; i++) {
        const from: ViewCursor = after;
        const batch = await checkpoint(`fetch durations ${i + 1}/${batches}`, async () => {
          const views = await viewPage((await scopeOf(target)).views, new Date(plan.cutoff), from, size);
          const refs = views.map((v) => ({ viewId: v.id, documentId: v.documentId }));
          // One after the other: a batch whose durations fail spends no calls on its user agents.
          const durations = await getAnalytics().pageDurations(refs);
          const agents = await getAnalytics().viewAgents(refs);
          const found: ViewAnalytics = {};
          for (const [viewId, pages] of durations) {
            const agent = agents.get(viewId);
            found[viewId] = [
              pages.reduce((sum, p) => sum + p.durationMs, 0),
              pages.filter((p) => p.durationMs > 0).length,
              agent?.browser ?? null,
              agent?.os ?? null,
              agent?.device ?? null,
              agent?.country ?? null,
              agent?.city ?? null,
            ];
          }
          await progress({ phase: "fetching durations", rows: Math.min(plan.total, (i + 1) * size), totalRows: plan.total, bytes: 0 });
          return { next: cursorAfter(views), analytics: found };
        });
        Object.assign(analytics, batch.analytics);
        after = batch.next;
        if (!after) break;
      }
      return analytics;
    },

    async produce(_request, target, plan, analytics, ctx) {
      return {
        columns: layout.columns(plan.customFields),
        batches: visitRows(layout, await scopeOf(target), new Date(plan.cutoff), analytics, plan.customFields, ctx.signal),
        totalRows: plan.total + plan.emptyVisits,
      };
    },
  };
}
