import { apiTokensRouter } from "~/server/api/routers/api-tokens";
import { teamsRouter } from "~/server/api/routers/teams";
import { createCallerFactory, createTRPCRouter } from "~/server/api/trpc";

export const appRouter = createTRPCRouter({
  teams: teamsRouter,
  apiTokens: apiTokensRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
