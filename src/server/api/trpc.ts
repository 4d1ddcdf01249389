/**
 * tRPC's foundations: the context, the error mapping, and the procedures every router
 * builds on. Routers stay thin; domain logic lives in src/server/<domain>.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";

import { type Caller, resolveCaller } from "~/server/auth/caller";
import { type AppError, isAppError } from "~/server/errors";
import type { ExportChannel } from "~/server/exports/job/export-job";
import type { TeamMember } from "~/server/teams/permissions";
import { idSchema } from "~/server/ids";
import { getRateLimits } from "~/server/services";
import { requireTeamAccess } from "~/server/teams/membership";

/** The context without HTTP, so tests and server components can build one directly. */
export function createContextInner(opts: { caller: Caller | null; channel?: ExportChannel; origin?: string }) {
  return { caller: opts.caller, channel: opts.channel ?? (opts.caller?.via === "token" ? "CLIENT" : "UI"), origin: opts.origin };
}

/** `origin`: the address the request came to, for links the app sends out when AUTH_URL is unset. */
export async function createTRPCContext(opts: { headers: Headers; origin?: string }) {
  try {
    return createContextInner({ caller: await resolveCaller(opts.headers), origin: opts.origin });
  } catch (error) {
    // Context errors bypass the procedure middleware, so a refused token is mapped here.
    if (isAppError(error)) throw toTRPCError(error);
    throw error;
  }
}

export type Context = ReturnType<typeof createContextInner>;

/**
 * The tRPC error for a domain error, keeping it as the cause so the error formatter can
 * add its code and details. Also for errors raised where no middleware maps them: in the
 * context, or inside a subscription's stream after it started.
 */
export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: error.trpcCode, message: error.message, cause: error });
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        appCode: isAppError(error.cause) ? error.cause.code : undefined,
        details: isAppError(error.cause) ? error.cause.details : undefined,
        zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : undefined,
      },
    };
  },
});

/**
 * Domain code throws AppError; this turns it into the matching tRPC code once, for every
 * procedure. Anything else unexpected stays INTERNAL_SERVER_ERROR with a generic message,
 * so internals never reach a client.
 */
const mapAppErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (isAppError(cause)) throw toTRPCError(cause);
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      console.error(JSON.stringify({ level: "error", msg: "trpc.unhandled", error: String(cause ?? result.error) }));
      throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on our side" });
    }
  }
  return result;
});

/** A token's calls count against its per-minute budget, as its REST requests do. */
const limitTokenCalls = t.middleware(async ({ ctx, next }) => {
  if (ctx.caller?.via === "token") await getRateLimits().restCall(ctx.caller.tokenId);
  return next();
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

export const publicProcedure = t.procedure.use(mapAppErrors).use(limitTokenCalls);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.caller) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  return next({ ctx: { ...ctx, caller: ctx.caller } });
});

export const teamInput = z.object({ teamId: idSchema });

/** A procedure on one team's data: the caller must belong to the team named in the input. */
export const teamProcedure = protectedProcedure.input(teamInput).use(async ({ ctx, input, next }) => {
  const membership = await requireTeamAccess(ctx.caller, input.teamId);
  return next({ ctx: { ...ctx, team: { id: input.teamId, role: membership.role } } });
});

/** Team settings (data sources, API tokens): owners and admins only. */
export const teamAdminProcedure = protectedProcedure.input(teamInput).use(async ({ ctx, input, next }) => {
  const membership = await requireTeamAccess(ctx.caller, input.teamId, "ADMIN");
  return next({ ctx: { ...ctx, team: { id: input.teamId, role: membership.role } } });
});

/** The caller as a member of the procedure's team, for the role rules in src/server/teams/permissions.ts. */
export function teamMember(ctx: { caller: Caller; team: { id: string; role: TeamMember["role"] } }): TeamMember {
  return { userId: ctx.caller.userId, teamId: ctx.team.id, role: ctx.team.role };
}
