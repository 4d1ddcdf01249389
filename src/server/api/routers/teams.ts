import { createTRPCRouter, protectedProcedure } from "~/server/api/trpc";
import { listTeamsOf } from "~/server/teams/membership";

export const teamsRouter = createTRPCRouter({
  mine: protectedProcedure.query(async ({ ctx }) => {
    const memberships = await listTeamsOf(ctx.caller.userId);
    const { caller } = ctx;
    const visible = caller.via === "token" ? memberships.filter((m) => m.team.id === caller.tokenTeamId) : memberships;
    return visible.map((m) => ({ id: m.team.id, name: m.team.name, role: m.role }));
  }),
});
