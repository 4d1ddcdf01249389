/**
 * The code and message of a REST error body (src/server/http/error-response.ts), for tests
 * that assert what a client would show.
 */
export function restError(body: unknown): { code: string; message: string } {
  const answer = body as { code?: string; message?: string; error?: string | { code: string; message: string } };
  if (answer.error && typeof answer.error === "object") return { code: answer.error.code, message: answer.error.message };
  return { code: String(answer.code), message: String(answer.message) };
}
