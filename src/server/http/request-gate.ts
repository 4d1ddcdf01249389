/**
 * What the server refuses before Next's router sees a request. Next normalises the path
 * first (the WHATWG URL parser turns `/groups/%2e%2e/export-visits` into `/export-visits`, so
 * a dot segment reaches another route), answers a bad percent-escape with a plain-text 500,
 * and crashes on TRACE. A proxy (src/proxy.ts) runs after that normalisation and only sees the
 * URL it produced, so these checks live in the HTTP server itself (scripts/serve.ts), on the
 * request line exactly as the client sent it.
 *
 * API paths are answered in the API's error shape; pages with a small HTML page.
 */
import { AppError } from "~/server/errors";
import { findApiRoute } from "~/server/http/api-routes";
import { errorPage } from "~/server/http/error-page";
import { errorResponse, methodNotAllowedResponse } from "~/server/http/error-response";

/** The methods Next's route handlers take; any other one cannot even become a fetch Request. */
const routableMethods: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Pages answer GET and HEAD, and POST for server actions (the sign-in form). */
const pageMethods = ["GET", "HEAD", "POST"];

/** The raw path of a request target: origin form (`/a?b`) or absolute form (`http://h/a?b`). */
function rawPath(target: string): string {
  const path = target.startsWith("/") ? target : target.replace(/^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i, "");
  return path.split(/[?#]/, 1)[0] ?? "";
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function pageRefusal(status: 400 | 405, message: string, allow?: readonly string[]): Response {
  return errorPage(status, message, allow ? { Allow: allow.join(", ") } : {});
}

/** The answer to a request that must not reach the router, or null to let it through. */
export function refuseBeforeRouting(method: string, target: string): Response | null {
  const path = rawPath(target);
  const isApi = path === "/api" || path.startsWith("/api/");
  const badRequest = (message: string) => (isApi ? errorResponse(new AppError("BAD_REQUEST", message)) : pageRefusal(400, message));

  // Backslashes count as separators too: the URL parser reads them as slashes.
  const segments = path.split(/[/\\]/).slice(1);
  const decoded: string[] = [];
  for (const segment of segments) {
    const value = decodeSegment(segment);
    if (value === null) return badRequest("The request path has an invalid percent-escape (each % must start a valid UTF-8 escape such as %20)");
    if (value === "." || value === "..") return badRequest("The request path has a '.' or '..' segment, which no resource of this API has");
    decoded.push(value);
  }

  const routable = routableMethods.has(method);
  if (!isApi) return routable ? null : pageRefusal(405, "This method is not served here.", pageMethods);

  const route = findApiRoute(decoded);
  if (!route) return routable ? null : errorResponse(new AppError("NOT_FOUND", "No such endpoint"));
  const served = method === "OPTIONS" || route.methods.includes(method) || (method === "HEAD" && route.methods.includes("GET"));
  return served ? null : methodNotAllowedResponse(route.methods, `${method} is not allowed here; use ${route.methods.join(" or ")}`);
}
