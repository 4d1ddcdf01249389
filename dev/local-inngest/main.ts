/**
 * tsx dev/local-inngest/main.ts --port 8288 --app-url http://127.0.0.1:3000/api/inngest --data-dir .local/inngest
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
    "retry-base-ms": { type: "string", default: "1000" },
  },
});

const executor = await startLocalInngest({
  port: Number(values.port),
  host: values.host,
  appUrls: values["app-url"],
  dataDir: path.resolve(values["data-dir"]),
  retryBaseMs: Number(values["retry-base-ms"]),
});
const stop = () => void executor.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
