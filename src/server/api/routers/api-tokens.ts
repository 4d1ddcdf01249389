import { z } from "zod";

import { createTRPCRouter, teamAdminProcedure } from "~/server/api/trpc";
import { createApiToken, listApiTokens, revokeApiToken } from "~/server/auth/api-tokens";
import { idSchema } from "~/server/ids";

export const apiTokensRouter = createTRPCRouter({
  list: teamAdminProcedure.query(({ ctx }) => listApiTokens(ctx.team.id)),

  /** The only answer that ever carries the token itself. */
  create: teamAdminProcedure
    .input(z.object({ name: z.string().trim().min(1).max(100), expiresInDays: z.number().int().min(1).max(3650).optional() }))
    .mutation(({ ctx, input }) =>
      createApiToken({
        userId: ctx.caller.userId,
        teamId: ctx.team.id,
        name: input.name,
        expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : undefined,
      }),
    ),

  revoke: teamAdminProcedure
    .input(z.object({ tokenId: idSchema }))
    .mutation(async ({ ctx, input }) => {
      await revokeApiToken(input.tokenId, ctx.team.id);
      return { ok: true as const };
    }),
});
