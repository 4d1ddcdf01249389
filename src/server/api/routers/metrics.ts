import { z } from "zod";

import { startInput, startsExportOf } from "~/server/api/start-export-procedure";
import { createTRPCRouter, teamProcedure } from "~/server/api/trpc";
import { metricKind } from "~/server/exports/kinds/metric";
import { listMetricVersions } from "~/server/metrics/metric-versions";
import { createMetric, deleteMetric, getMetric, listMetrics, updateMetric } from "~/server/metrics/metrics";
import { requireRole } from "~/server/teams/membership";
import { idSchema } from "~/server/ids";

const metricFields = z.object({
  name: z.string().trim().min(1).max(200),
  sql: z.string().trim().min(1).max(100_000),
  dataSourceId: idSchema,
});

export const metricsRouter = createTRPCRouter({
  list: teamProcedure.query(({ ctx }) => listMetrics(ctx.team.id)),

  get: teamProcedure.input(z.object({ metricId: idSchema })).query(({ ctx, input }) => getMetric(ctx.team.id, input.metricId)),

  /** The metric's versions, newest first: each one's number, when it was made, its SQL and data source. */
  versions: teamProcedure.input(z.object({ metricId: idSchema })).query(({ ctx, input }) => listMetricVersions(ctx.team.id, input.metricId)),

  create: teamProcedure.input(metricFields).mutation(({ ctx, input }) => {
    requireRole(ctx.team.role, "MEMBER");
    return createMetric(ctx.team.id, { name: input.name, sql: input.sql, dataSourceId: input.dataSourceId });
  }),

  update: teamProcedure.input(metricFields.partial().extend({ metricId: idSchema })).mutation(({ ctx, input }) => {
    requireRole(ctx.team.role, "MEMBER");
    const { metricId, teamId: _teamId, ...changes } = input;
    return updateMetric(ctx.team.id, metricId, changes);
  }),

  export: teamProcedure.input(metricKind.input).input(startInput).mutation(startsExportOf(metricKind)),

  delete: teamProcedure.input(z.object({ metricId: idSchema })).mutation(async ({ ctx, input }) => {
    requireRole(ctx.team.role, "MEMBER");
    await deleteMetric(ctx.team.id, input.metricId);
    return { ok: true as const };
  }),
});
