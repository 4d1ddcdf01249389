import { createTRPCRouter, protectedProcedure } from "~/server/api/trpc";
import { exportLimits } from "~/server/exports/export-limits";

export const configRouter = createTRPCRouter({
  /**
   * The configured limits the UI states (EXPORT_* in .env.example), so that no component
   * writes them down: a deployment that changes one changes what its users read.
   */
  limits: protectedProcedure.query(() => {
    const limits = exportLimits();
    return {
      maxRows: limits.maxRows,
      /** A metric export's file is deleted this long after it is ready. */
      metricFileTtlSeconds: limits.metricFileTtlSeconds,
      /** A visit export's file is kept as long as its job record. */
      visitFileTtlSeconds: limits.jobTtlSeconds,
    };
  }),
});
