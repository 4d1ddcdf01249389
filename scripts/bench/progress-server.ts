/**
 * The app's tRPC route over HTTP in a process of its own, for the progress benchmark to watch
 * its CPU: the same handler Next serves at /api/trpc, SSE subscriptions included. Prints its
 * port on the first line of stdout.
 */
import type { AddressInfo } from "node:net";

import { serveFetch } from "../../tests/support/serve-fetch";

const trpcRoute = await import("~/app/api/trpc/[trpc]/route");
const server = await serveFetch((req) => (req.method === "GET" ? trpcRoute.GET(req) : trpcRoute.POST(req)));
process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
