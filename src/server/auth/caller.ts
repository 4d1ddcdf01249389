import { getToken } from "next-auth/jwt";

import { getEnv } from "~/env";
import { verifyApiToken } from "~/server/auth/api-tokens";
import { AppError } from "~/server/errors";

/** Who is calling: a signed-in browser, or a program holding an API token of one team. */
export type Caller =
  | { userId: string; via: "session" }
  | { userId: string; via: "token"; tokenId: string; tokenTeamId: string };

const SECURE_SESSION_COOKIE = "__Secure-authjs.session-token";

export function bearerToken(headers: Headers): string | null {
  const header = headers.get("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AppError("UNAUTHORIZED", "Invalid token");
  return match[1];
}

/**
 * A request with an Authorization header is judged by its token alone, never by a cookie
 * that happens to ride along, so a bad token is always a 401. Otherwise the next-auth
 * session cookie is read from the request itself, which works in route handlers, tRPC
 * and tests alike.
 */
export async function resolveCaller(headers: Headers): Promise<Caller | null> {
  const token = bearerToken(headers);
  if (token) {
    const verified = await verifyApiToken(token);
    return { userId: verified.userId, via: "token", tokenId: verified.tokenId, tokenTeamId: verified.teamId };
  }
  const session = await getToken({
    req: { headers },
    secret: getEnv().AUTH_SECRET,
    secureCookie: (headers.get("cookie") ?? "").includes(SECURE_SESSION_COOKIE),
  });
  return session?.sub ? { userId: session.sub, via: "session" } : null;
}
