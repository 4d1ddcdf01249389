/**
 * The wrapper every REST route goes through: it resolves the caller (Bearer token or session
 * cookie), checks team membership, and maps every error, once, to the same JSON shape:
 *
 *   { "error": { "code": "not_found", "message": "…", …safe details } }
 *
 * A route may answer a browser's navigation (an `<a download>` link) with a page instead.
 */
import type { Role } from "~/generated/prisma/client";
import { type Caller, resolveCaller } from "~/server/auth/caller";
import { AppError, isAppError } from "~/server/errors";
import { errorPage } from "~/server/http/error-page";
import { errorResponse } from "~/server/http/error-response";
import { idSchema } from "~/server/ids";
import { getRateLimits } from "~/server/services";
import { requireTeamAccess } from "~/server/teams/membership";
import { z, ZodError } from "zod";

export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (error instanceof ZodError) {
    // An unknown field is named by its own path, not its parent's, like every other bad field.
    // Each issue's message names its field too: a client that shows only the first issue's
    // message (Buster's UI does) still says what was wrong with what.
    const issues = error.issues.flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map((key) => ({ path: [...i.path, key].join("."), message: "Unknown field" }))
        : [{ path: i.path.join("."), message: i.message }],
    ).map((i) => ({ path: i.path, message: `${i.path || "body"}: ${i.message}` }));
    return new AppError("BAD_REQUEST", issues[0]?.message ?? "Invalid request", { details: { issues } });
  }
  console.error(JSON.stringify({ level: "error", msg: "rest.unhandled", error: String(error) }));
  return new AppError("INTERNAL", "Something went wrong on our side");
}

type RouteContext<P> = { params: Promise<P> };

export type AuthedRequest<P, Q> = { req: Request; params: P; query: Q; caller: Caller };

/** Every path parameter of the REST API is an id. */
const pathParams = z.record(z.string(), idSchema);

/** A route without query parameters refuses any, rather than ignoring a misspelt one. */
const noQuery = z.strictObject({});

type RouteOptions<Q> = {
  query?: z.ZodType<Q>;
  /** Requests whose errors are answered as an HTML page (http/error-page.ts) rather than in the error shape. */
  errorPageFor?: (req: Request) => boolean;
};

/**
 * A route for any signed-in caller. The caller is checked first, so a stranger learns
 * nothing about the input; then the path's ids and the query string are checked before any
 * of them reaches the database.
 */
export function authedRoute<P, Q = Record<string, never>>(handler: (ctx: AuthedRequest<P, Q>) => Promise<Response>, options: RouteOptions<Q> = {}) {
  const querySchema = options.query ?? (noQuery as unknown as z.ZodType<Q>);
  return async (req: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const caller = await resolveCaller(req.headers);
      if (!caller) throw new AppError("UNAUTHORIZED", "Sign in or send an API token as 'Authorization: Bearer <token>'");
      if (caller.via === "token") await getRateLimits().restCall(caller.tokenId);
      const params = await context.params;
      pathParams.parse(params);
      const query = querySchema.parse(Object.fromEntries(new URL(req.url).searchParams));
      return await handler({ req, params, query, caller });
    } catch (error) {
      const appError = toAppError(error);
      return options.errorPageFor?.(req) ? errorPage(appError.httpStatus, appError.message) : errorResponse(appError);
    }
  };
}

/** A route under /api/teams/[teamId]/…: the caller must belong to that team. */
export function teamRoute<P extends { teamId: string }, Q = Record<string, never>>(
  handler: (ctx: AuthedRequest<P, Q> & { role: Role }) => Promise<Response>,
  options: RouteOptions<Q> & { minimumRole?: Role } = {},
) {
  return authedRoute<P, Q>(async (ctx) => {
    const membership = await requireTeamAccess(ctx.caller, ctx.params.teamId, options.minimumRole);
    return handler({ ...ctx, role: membership.role });
  }, options);
}
