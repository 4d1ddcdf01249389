import { z } from "zod";

import { createTRPCRouter, teamAdminProcedure, teamMember, teamProcedure } from "~/server/api/trpc";
import { createApiToken, listTeamTokens, revokeTeamToken } from "~/server/auth/api-tokens";
import { idSchema } from "~/server/ids";

export const apiTokensRouter = createTRPCRouter({
  /** Owners and admins see the team's tokens; everyone else their own, so that they can revoke them. */
  list: teamProcedure.query(({ ctx }) => listTeamTokens(teamMember(ctx))),

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

  revoke: teamProcedure
    .input(z.object({ tokenId: idSchema }))
    .mutation(async ({ ctx, input }) => {
      await revokeTeamToken(teamMember(ctx), input.tokenId);
      return { ok: true as const };
    }),
});
