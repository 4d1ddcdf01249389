import { z } from "zod";

import { createTRPCRouter, teamAdminProcedure, teamProcedure } from "~/server/api/trpc";
import {
  createDataSource,
  deleteDataSource,
  listDataSources,
  testCredentials,
  testDataSource,
} from "~/server/data-sources/data-sources";
import { isAppError } from "~/server/errors";
import { dataSourceTypes } from "~/server/sources";
import { idSchema } from "~/server/ids";

const type = z.enum(dataSourceTypes);
/** Shape-checked per type by the sources module, which names bad fields but never echoes values. */
const credentials = z.record(z.string(), z.unknown());

/** A failed test is an answer, not an error: the UI shows the database's own message. */
async function outcome(run: () => Promise<void>) {
  try {
    await run();
    return { ok: true as const };
  } catch (error) {
    if (isAppError(error) && error.code !== "INTERNAL") return { ok: false as const, error: error.message };
    throw error;
  }
}

export const dataSourcesRouter = createTRPCRouter({
  list: teamProcedure.query(({ ctx }) => listDataSources(ctx.team.id)),

  create: teamAdminProcedure
    .input(z.object({ name: z.string().trim().min(1).max(100), type, credentials }))
    .mutation(({ ctx, input }) => createDataSource(ctx.team.id, input)),

  /** Tests either a saved source (by id) or credentials about to be saved. */
  test: teamAdminProcedure
    .input(z.union([z.object({ dataSourceId: idSchema }), z.object({ type, credentials })]))
    .mutation(({ ctx, input }) =>
      outcome(() =>
        "dataSourceId" in input ? testDataSource(ctx.team.id, input.dataSourceId) : testCredentials(input.type, input.credentials),
      ),
    ),

  delete: teamAdminProcedure.input(z.object({ dataSourceId: idSchema })).mutation(async ({ ctx, input }) => {
    await deleteDataSource(ctx.team.id, input.dataSourceId);
    return { ok: true as const };
  }),
});
