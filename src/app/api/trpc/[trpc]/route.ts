import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { isAppError } from "~/server/errors";
import { limitBody } from "~/server/http/body-limit";
import { rateLimitHeaders } from "~/server/http/error-response";

/**
 * 1 MB. The largest input of any procedure is a metric's SQL or a data source's credentials,
 * far below it; a body past it is cut off while it streams in, so no client can make the
 * server buffer megabytes (REST bodies have a cap of their own, src/server/rest/request-body.ts).
 */
export const MAX_TRPC_BODY_BYTES = 1024 * 1024;

const tooLarge = () => new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: `The request body is larger than ${MAX_TRPC_BODY_BYTES} bytes` });

/** The same request, with its body behind the cap. */
function withCappedBody(req: Request): Request {
  const body = limitBody(req, MAX_TRPC_BODY_BYTES, tooLarge);
  if (!body) return req;
  return new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal, duplex: "half" } as RequestInit);
}

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req: withCappedBody(req),
    router: appRouter,
    createContext: () => createTRPCContext({ headers: req.headers, origin: new URL(req.url).origin }),
    // A rate-limited call says when to come back, in the same headers as REST.
    responseMeta: ({ errors }) => {
      const limited = errors.map((error) => error.cause).find((cause) => isAppError(cause) && cause.code === "RATE_LIMITED");
      return limited && isAppError(limited) ? { headers: new Headers(rateLimitHeaders(limited.details)) } : {};
    },
  });

export { handler as GET, handler as POST };
