/**
 * INNGEST_SIGNING_KEY=signkey-local-… INNGEST_EVENT_KEY=… \
 *   tsx dev/local-inngest/main.ts --port 8288 --app-url http://127.0.0.1:3000/api/inngest --data-dir .local/inngest
 *
 * The keys come from the environment, under the names the app's SDK reads, so that they never
 * show in a process list.
 */
import path from "node:path";
import { parseArgs } from "node:util";

import { startLocalInngest } from "./index";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8288" },
    host: { type: "string", default: "127.0.0.1" },
    "app-url": { type: "string", multiple: true, default: [] },
    "data-dir": { type: "string", default: ".local/inngest" },
    "backoff-scale": { type: "string", default: "1" },
  },
});

const executor = await startLocalInngest({
  port: Number(values.port),
  host: values.host,
  appUrls: values["app-url"],
  dataDir: path.resolve(values["data-dir"]),
  signingKey: process.env.INNGEST_SIGNING_KEY ?? "",
  eventKey: process.env.INNGEST_EVENT_KEY ?? "",
  backoffScale: Number(values["backoff-scale"]),
});
const stop = () => void executor.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
