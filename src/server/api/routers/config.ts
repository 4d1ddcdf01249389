import { createTRPCRouter, protectedProcedure } from "~/server/api/trpc";
import { exportLimits } from "~/server/exports/export-limits";
import { allKindDefinitions } from "~/server/exports/kinds";
import type { ExportKind } from "~/server/exports/job/export-job";

export const configRouter = createTRPCRouter({
  /**
   * The configured limits the UI states (EXPORT_* in .env.example), so that no component
   * writes them down: a deployment that changes one changes what its users read.
   */
  limits: protectedProcedure.query(() => {
    const limits = exportLimits();
    return {
      maxRows: limits.maxRows,
      /** How long each kind's file is kept once it is ready, as its run deletes it. */
      fileLifetimeSeconds: Object.fromEntries(allKindDefinitions.map((kind) => [kind.id, kind.run.limits.fileTtlSeconds()])) as Record<ExportKind, number>,
    };
  }),
});
