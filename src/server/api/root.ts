import { apiTokensRouter } from "~/server/api/routers/api-tokens";
import { auditRouter } from "~/server/api/routers/audit";
import { configRouter } from "~/server/api/routers/config";
import { exportsRouter } from "~/server/api/routers/exports";
import { dataSourcesRouter } from "~/server/api/routers/data-sources";
import { metricsRouter } from "~/server/api/routers/metrics";
import { schedulesRouter } from "~/server/api/routers/schedules";
import { teamsRouter } from "~/server/api/routers/teams";
import { visitsRouter } from "~/server/api/routers/visits";
import { createCallerFactory, createTRPCRouter } from "~/server/api/trpc";

export const appRouter = createTRPCRouter({
  teams: teamsRouter,
  apiTokens: apiTokensRouter,
  dataSources: dataSourcesRouter,
  metrics: metricsRouter,
  exports: exportsRouter,
  visits: visitsRouter,
  audit: auditRouter,
  schedules: schedulesRouter,
  config: configRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
