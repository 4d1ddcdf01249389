/**
 * Next.js calls register() once as a server starts: `next start`, `next dev`, and the
 * programmatic server in scripts/serve.ts. Without this check a malformed variable would let
 * the server start and fail on its first request. Next 16 catches an error thrown here, logs
 * it and goes on serving (every request then answers 500), so the check exits instead.
 *
 * `next start` opens its port before it loads this file: the process exits right after,
 * without answering a request. scripts/serve.ts (what `npm start` runs) checks before it
 * listens at all. `next build` never calls register().
 */
export async function register() {
  // The edge runtime has no process.exit, and no route of this app runs there.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { exitOnInvalidEnv } = await import("~/env");
  exitOnInvalidEnv(process.env, "[next]");
}
