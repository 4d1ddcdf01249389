import { NonRetriableError } from "inngest";

import { getEnv } from "~/env";
import { isRetryable } from "~/server/analytics";
import { db } from "~/server/db";
import { AppError } from "~/server/errors";
import { exportLimits } from "~/server/exports/export-limits";
import { runLimits } from "~/server/exports/export-run-limits";
import { failureReason, settleUnfinishedExport } from "~/server/exports/settle-export";
import { produceVisitCsv, type ViewDurations } from "~/server/exports/visits/visit-file";
import { countViews, cursorAfter, customFieldNames, scopeFilter, type ViewCursor, viewPage, type VisitScope } from "~/server/exports/visits/visit-query";
import { visitExportRequested } from "~/server/jobs/events";
import { defineExportFunction } from "~/server/jobs/export-function";
import { type ExportTarget, requireOwnJob } from "~/server/exports/job/export-run-checks";
import { getAnalytics, getJobStore } from "~/server/services";
import { safeFileName } from "~/server/storage";

/** Views per checkpointed step: one batched Tinybird call, or ten seconds of per-view calls. */
const batchSize = () => (getEnv().TINYBIRD_MODE === "per-view" && getEnv().TINYBIRD_TOKEN ? 50 : 100);

async function resourceName(scope: VisitScope): Promise<string> {
  if (scope.kind === "document") {
    const doc = await db.document.findUnique({ where: { id: scope.resourceId }, select: { name: true } });
    if (!doc) throw new AppError("NOT_FOUND", "The document no longer exists");
    return doc.name;
  }
  const room = await db.dataroom.findUnique({ where: { id: scope.resourceId }, select: { name: true } });
  if (!room) throw new AppError("NOT_FOUND", "The dataroom no longer exists");
  if (scope.kind === "dataroom") return room.name;
  const group = await db.dataroomGroup.findFirst({ where: { id: scope.groupId, dataroomId: scope.resourceId }, select: { name: true } });
  if (!group) throw new AppError("NOT_FOUND", "The group no longer exists");
  return `${room.name} — ${group.name}`;
}

type VisitExportRequest = ReturnType<typeof visitExportRequested.schema.parse>;

const visitTarget = (data: VisitExportRequest): ExportTarget => ({ type: data.kind, resourceId: data.resourceId, groupId: data.groupId });

/** Every view of a document, a dataroom or a dataroom group, with page durations, as CSV. */
export const exportVisits = defineExportFunction({
  id: "export-visits",
  name: "Export visits",
  trigger: { event: visitExportRequested.name },
  parse: (data) => visitExportRequested.schema.parse(data),
  target: visitTarget,
  limits: runLimits.document,
  concurrencyPerTeam: 2,
  loadStep: "load views",
  produceStep: "write and upload",
  fileTtlSeconds: () => exportLimits().jobTtlSeconds,

  async load(data) {
    const scope: VisitScope = { kind: data.kind, resourceId: data.resourceId, groupId: data.groupId };
    const name = await resourceName(scope);
    const filter = await scopeFilter(scope);
    // Views recorded after this moment are left out, so every replay sees the same views.
    const cutoff = new Date();
    const total = await countViews(filter, cutoff);
    return {
      plan: { cutoff: cutoff.toISOString(), total, customFields: await customFieldNames(filter, cutoff) },
      resourceName: name,
      fileName: `visits_${safeFileName(name, data.kind)}_${Math.floor(cutoff.getTime() / 1000)}.csv`,
    };
  },

  /** One step per batch: a run that dies at batch 30 of 60 resumes at batch 31. */
  async collect(data, plan, step) {
    const scope: VisitScope = { kind: data.kind, resourceId: data.resourceId, groupId: data.groupId };
    const size = batchSize();
    const batches = Math.ceil(plan.total / size);
    const durations: ViewDurations = {};
    let after: ViewCursor = null;
    for (let i = 0; i < batches; i++) {
      const from: ViewCursor = after;
      const batch = await step.run(`fetch durations ${i + 1}/${batches}`, async () => {
        // Its answer carries the views' durations: only for the run's own export.
        await requireOwnJob(data, visitTarget(data));
        const views = await viewPage(await scopeFilter(scope), new Date(plan.cutoff), from, size);
        try {
          const byView = await getAnalytics().pageDurations(
            views.map((v) => ({ viewId: v.id, documentId: v.documentId })),
          );
          const found: ViewDurations = {};
          for (const [viewId, pages] of byView) {
            found[viewId] = [pages.reduce((sum, p) => sum + p.durationMs, 0), pages.filter((p) => p.durationMs > 0).length];
          }
          await getJobStore().updateProgress(data.exportId, {
            phase: "fetching durations",
            rows: Math.min(plan.total, (i + 1) * size),
            totalRows: plan.total,
            bytes: 0,
          });
          return { next: cursorAfter(views), durations: found };
        } catch (error) {
          if (!isRetryable(error)) {
            await settleUnfinishedExport(data.exportId, "FAILED", failureReason(error));
            throw new NonRetriableError(failureReason(error).message, { cause: error });
          }
          throw error;
        }
      });
      Object.assign(durations, batch.durations);
      after = batch.next;
      if (!after) break;
    }
    return durations;
  },

  async produce(data, plan, ctx, durations) {
    const filter = await scopeFilter({ kind: data.kind, resourceId: data.resourceId, groupId: data.groupId });
    return produceVisitCsv(filter, plan, durations, ctx);
  },
});
