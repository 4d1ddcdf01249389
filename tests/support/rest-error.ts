/**
 * The code and message of a REST error body (src/server/http/error-response.ts), for tests
 * that assert what a client would show.
 */
export function restError(body: unknown): { code: string; message: string } {
  const { code, message } = body as { code: string; message: string };
  return { code, message };
}
