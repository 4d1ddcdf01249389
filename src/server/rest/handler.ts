/**
 * The wrapper every REST route goes through: it resolves the caller (Bearer token or session
 * cookie), checks team membership, and maps every error, once, to the same JSON shape:
 *
 *   { "error": { "code": "not_found", "message": "…", …safe details } }
 */
import type { Role } from "~/generated/prisma/client";
import { type Caller, resolveCaller } from "~/server/auth/caller";
import { AppError, isAppError } from "~/server/errors";
import { getRateLimits } from "~/server/services";
import { requireTeamAccess } from "~/server/teams/membership";
import { ZodError } from "zod";

export function errorResponse(error: AppError): Response {
  return Response.json(
    { error: { code: error.code.toLowerCase(), message: error.message, ...error.details } },
    { status: error.httpStatus, headers: error.code === "RATE_LIMITED" ? rateLimitHeaders(error.details) : undefined },
  );
}

function rateLimitHeaders(details: Record<string, unknown> = {}): Record<string, string> {
  return {
    "Retry-After": String(details.retryAfterSeconds ?? 60),
    "X-RateLimit-Limit": String(details.limit ?? ""),
    "X-RateLimit-Remaining": String(details.remaining ?? 0),
    "X-RateLimit-Reset": String(Math.ceil(Number(details.reset ?? Date.now()) / 1000)),
  };
}

export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (error instanceof ZodError) {
    const issues = error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    const first = issues[0];
    return new AppError("BAD_REQUEST", first ? `${first.path || "body"}: ${first.message}` : "Invalid request", {
      details: { issues },
    });
  }
  console.error(JSON.stringify({ level: "error", msg: "rest.unhandled", error: String(error) }));
  return new AppError("INTERNAL", "Something went wrong on our side");
}

type RouteContext<P> = { params: Promise<P> };

export type AuthedRequest<P> = { req: Request; params: P; caller: Caller };

/** A route for any signed-in caller. */
export function authedRoute<P>(handler: (ctx: AuthedRequest<P>) => Promise<Response>) {
  return async (req: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const caller = await resolveCaller(req.headers);
      if (!caller) throw new AppError("UNAUTHORIZED", "Sign in or send an API token as 'Authorization: Bearer <token>'");
      if (caller.via === "token") await getRateLimits().restCall(caller.tokenId);
      return await handler({ req, params: await context.params, caller });
    } catch (error) {
      return errorResponse(toAppError(error));
    }
  };
}

/** A route under /api/teams/[teamId]/…: the caller must belong to that team. */
export function teamRoute<P extends { teamId: string }>(
  handler: (ctx: AuthedRequest<P> & { role: Role }) => Promise<Response>,
  options: { minimumRole?: Role } = {},
) {
  return authedRoute<P>(async (ctx) => {
    const membership = await requireTeamAccess(ctx.caller, ctx.params.teamId, options.minimumRole);
    return handler({ ...ctx, role: membership.role });
  });
}
