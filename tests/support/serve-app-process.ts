/**
 * The app's Inngest functions behind the SDK's serve handler, alone in a process that a test
 * can SIGKILL (export-harness.ts, `appInChildProcess`). It loads everything first and says
 * "loaded", then listens on APP_PORT when told "listen": a restart is then only the listen,
 * and the test, not module loading, decides how long the app was down.
 */
import { createServer } from "node:http";

const { serve } = await import("inngest/node");
const { functions } = await import("~/server/jobs/functions");
const { inngest } = await import("~/server/jobs/inngest-client");

const server = createServer(serve({ client: inngest, functions, servePath: "/api/inngest" }));
process.on("message", (message) => {
  if (message === "listen") server.listen(Number(process.env.APP_PORT), "127.0.0.1", () => process.send?.("listening"));
});
process.send?.("loaded");
