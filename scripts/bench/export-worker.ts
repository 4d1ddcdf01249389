/**
 * The benchmark's worker: the app's Inngest functions behind the SDK's serve handler, alone
 * in this process, so its peak RSS is the export's own. Prints its port when ready.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const { serve } = await import("inngest/node");
const { functions } = await import("~/server/jobs/functions");
const { inngest } = await import("~/server/jobs/inngest-client");

const server = createServer(serve({ client: inngest, functions, servePath: "/api/inngest" }));
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
});
