/**
 * A stand-in for Tinybird's pipe API, for tests and benchmarks. It serves the three pipes the
 * analytics client uses (see tinybird/):
 * - `GET /v0/pipes/export_view_durations.json?documentId=…&viewId=…` → `{ data: [{ pageNumber, sum_duration }] }`
 * - `GET /v0/pipes/export_view_durations_batched.json?viewIds=a,b,c` → `{ data: [{ viewId, pageNumber, sum_duration }] }`
 * - `GET /v0/pipes/export_view_user_agents.json?viewIds=a,b,c` → `{ data: [{ viewId, browser, os, device, country, city }] }`
 * from in-memory viewId → page durations and viewId → user agent sources, after a
 * configurable latency. Every pipe counts against the same limit.
 *
 * It refuses, with 429, what is unambiguously a breach of Tinybird's limit (5 calls in flight,
 * 200 ms between starts), so that a broken limiter fails the tests that use it:
 * - a call that arrives while `maxConcurrent` calls are in flight. A call is in flight from
 *   its arrival until this server sends its answer, so a client that waits for the answer
 *   before it releases its slot can never be blamed for one;
 * - a call that surely arrived less than `breachGapMs` (100 ms by default) after the previous
 *   one. This server sees a request when its event loop reads it, not when it reached the
 *   socket; on a busy machine the loop is held up now and then (descheduled, a GC pause) and
 *   then reads two waiting requests at once, making a 200 ms gap look like 0. A heartbeat
 *   bounds how early each call may have arrived (see watchEventLoop), and a gap is refused
 *   only when even its widest reading, from the previous call's earliest arrival to this
 *   call's reading, is under `breachGapMs`. Short gaps that a stall explains are counted
 *   (`stats.gapsExcused`), not refused.
 * The exact 200 ms rule is checked where it is decided, on the limiter's own record (its
 * diagnostics channel, in Redis time); this referee catches what no jitter explains, such as a
 * limiter with no gap at all, whose calls arrive a few ms apart. Every arrival counts as a
 * start, refused or not, as a server-side limiter would count it.
 *
 * It also answers 401 without the right bearer token, 400 for missing or malformed params,
 * 404 for an unknown pipe, and injected faults (e.g. 503 twice for a given view).
 *
 * Run it directly: `npx tsx dev/fake-tinybird.ts [--port 7181] [--latency 20]
 * [--token fake-tinybird-token] [--database-url postgresql://…]`, the last to serve the
 * PageView table of that database.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import pg from "pg";

export interface FakePageDuration {
  pageNumber: number;
  durationMs: number;
}

/** viewId → its pages; a function is asked on every call, so tests can generate data. */
export type DurationSource = Map<string, FakePageDuration[]> | ((viewId: string) => FakePageDuration[] | undefined);

/** Where a view was seen from; Tinybird answers "" for what it does not know. */
export interface FakeViewAgent {
  browser: string;
  os: string;
  device: string;
  country: string;
  city: string;
}

/** viewId → where it was seen from; a view without one has no page views, and no row. */
export type AgentSource = Map<string, FakeViewAgent>;

export interface FakeTinybirdOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** The bearer token every call must carry. */
  token?: string;
  /** Time each answer takes. */
  latencyMs?: number;
  maxConcurrent?: number;
  /** A call that surely arrived sooner than this after the previous one is refused (see above); 0 turns the rule off. */
  breachGapMs?: number;
  /** Largest `viewIds` list the batched pipe accepts. */
  maxBatch?: number;
  pipes?: { perView?: string; batched?: string; userAgents?: string };
  durations?: DurationSource;
  agents?: AgentSource;
}

export interface FakeFault {
  viewIds: readonly string[];
  status: number;
  /** How many calls for each of these views get the fault before they are served normally. */
  times: number;
  /** Sent as the Retry-After header, e.g. "1" or an HTTP date. */
  retryAfter?: string;
}

export interface FakeTinybirdStats {
  /** Every request received, whatever its answer. */
  calls: number;
  /** Calls of a durations pipe that named each view (a batched call counts once for each of its views). */
  callsByView: Record<string, number>;
  /** Calls of the user-agent pipe that named each view. */
  agentCallsByView: Record<string, number>;
  /** Every request received, by pipe name (the path's, for an unknown one). */
  callsByPipe: Record<string, number>;
  /** Every 429 sent, for broken limits or injected. */
  sent429: number;
  /** Calls refused because they broke the limit. */
  limitBreaches: number;
  /** Each refused call: which call it was (1-based), why, and what was measured. */
  breaches: {
    call: number;
    reason: "concurrency" | "gap";
    inFlight: number;
    /** From the previous call's reading to this one's. */
    gapMs: number;
    /** From the previous call's earliest possible arrival to this one's reading. */
    widestGapMs: number;
    newConnection: boolean;
    previousOnNewConnection: boolean;
  }[];
  /** TCP connections accepted; a call on a new one travels slower, which helps explain a breach. */
  connections: number;
  /** The longest this server's event loop was held up since the last reset (between heartbeats). */
  eventLoopDelayMaxMs: number;
  /** Gaps that looked shorter than breachGapMs but were not refused: this server's event loop was held up around them. */
  gapsExcused: number;
  /** Injected faults sent. */
  faultsSent: number;
  maxInFlight: number;
  /**
   * Smallest time between two consecutive arrivals; null before the second call. Arrivals
   * carry the machine's jitter, so this describes a run (benchmarks print it); it does not
   * judge the limiter, whose own record does (see above).
   */
  minStartGapMs: number | null;
  /** Arrival times (ms, performance clock) of every call, in order. */
  starts: number[];
}

export interface FakeTinybird {
  url: string;
  port: number;
  token: string;
  stats(): FakeTinybirdStats;
  /** Clears the counters and the faults; keeps the durations. */
  reset(): void;
  setDurations(source: DurationSource): void;
  setAgents(source: AgentSource): void;
  injectFault(fault: FakeFault): void;
  close(): Promise<void>;
}

export const FAKE_TINYBIRD_TOKEN = "fake-tinybird-token";

/** Calls closer than this are a breach whatever the jitter: half of Tinybird's 200 ms. */
const FAKE_TINYBIRD_BREACH_GAP_MS = 100;

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function emptyStats(): FakeTinybirdStats {
  return {
    calls: 0,
    callsByView: {},
    agentCallsByView: {},
    callsByPipe: {},
    sent429: 0,
    limitBreaches: 0,
    breaches: [],
    faultsSent: 0,
    maxInFlight: 0,
    minStartGapMs: null,
    starts: [],
    connections: 0,
    eventLoopDelayMaxMs: 0,
    gapsExcused: 0,
  };
}

/**
 * The event loop's heartbeat. A request that reaches the socket is read by the loop at most
 * a few turns later (accept, then read), so at most two beats fall between its arrival and
 * its reading, however long the loop was held up: it arrived after the third beat back, and
 * one more is kept as slack. While the loop runs freely that bound is within ~20 ms of the
 * reading; across a stall it reaches back to before the stall.
 */
const HEARTBEAT_MS = 5;
const BEATS_BACK = 4;

function watchEventLoop() {
  const started = performance.now();
  let beats = [started];
  let maxLagMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - beats.at(-1)! - HEARTBEAT_MS);
    beats = [...beats.slice(1 - BEATS_BACK), now];
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    /** The earliest moment a request read now may have reached the socket. */
    earliestArrival: () => (beats.length < BEATS_BACK ? started : beats[0]!),
    maxLagMs: () => Math.round(maxLagMs * 10) / 10,
    reset: () => void (maxLagMs = 0),
    stop: () => clearInterval(timer),
  };
}

export async function startFakeTinybird(options: FakeTinybirdOptions = {}): Promise<FakeTinybird> {
  const token = options.token ?? FAKE_TINYBIRD_TOKEN;
  const latencyMs = options.latencyMs ?? 20;
  const maxConcurrent = options.maxConcurrent ?? 5;
  const breachGapMs = options.breachGapMs ?? FAKE_TINYBIRD_BREACH_GAP_MS;
  const maxBatch = options.maxBatch ?? 100;
  const perViewPipe = options.pipes?.perView ?? "export_view_durations";
  const batchedPipe = options.pipes?.batched ?? "export_view_durations_batched";
  const userAgentPipe = options.pipes?.userAgents ?? "export_view_user_agents";
  const listsViews = (pipe: string | undefined) => pipe === batchedPipe || pipe === userAgentPipe;

  let durations: DurationSource = options.durations ?? new Map();
  let agents: AgentSource = options.agents ?? new Map();
  let stats = emptyStats();
  let faults = new Map<string, { status: number; remaining: number; retryAfter?: string }>();
  let inFlight = 0;
  let lastStart: number | undefined;
  let previousEarliestArrival: number | undefined;
  let lastFirstOnSocket = false;

  const pagesOf = (viewId: string) => (typeof durations === "function" ? durations(viewId) : durations.get(viewId)) ?? [];

  /** Ends the call's time in flight once: when its answer goes out, or when the client leaves first. */
  const landed = new WeakSet<ServerResponse>();
  const land = (res: ServerResponse) => {
    if (landed.has(res)) return;
    landed.add(res);
    inFlight--;
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, delayMs = latencyMs) => {
    if (status === 429) stats.sent429++;
    setTimeout(() => {
      land(res);
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    }, delayMs);
  };

  const servedSockets = new WeakSet<object>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const now = performance.now();
    const url = new URL(req.url ?? "/", "http://fake");
    const match = /^\/v0\/pipes\/([^/]+)\.json$/.exec(url.pathname);
    const pipe = match?.[1];
    const viewIds = listsViews(pipe) ? (url.searchParams.get("viewIds") ?? "").split(",").filter(Boolean) : [url.searchParams.get("viewId") ?? ""].filter(Boolean);

    stats.calls++;
    stats.starts.push(now);
    const pipeName = pipe ?? url.pathname;
    stats.callsByPipe[pipeName] = (stats.callsByPipe[pipeName] ?? 0) + 1;
    const byView = pipe === userAgentPipe ? stats.agentCallsByView : stats.callsByView;
    for (const id of viewIds) byView[id] = (byView[id] ?? 0) + 1;
    const gapMs = lastStart === undefined ? Number.POSITIVE_INFINITY : now - lastStart;
    lastStart = now;
    if (Number.isFinite(gapMs)) stats.minStartGapMs = Math.min(stats.minStartGapMs ?? gapMs, gapMs);

    // The previous call arrived no earlier than its bound, and this one no later than now.
    const widestGapMs = previousEarliestArrival === undefined ? Number.POSITIVE_INFINITY : now - previousEarliestArrival;
    previousEarliestArrival = loop.earliestArrival();

    // Check both rules before counting this call as in flight.
    let breach: "concurrency" | "gap" | undefined;
    if (inFlight >= maxConcurrent) breach = "concurrency";
    else if (widestGapMs < breachGapMs) breach = "gap";
    else if (gapMs < breachGapMs) stats.gapsExcused++;
    inFlight++;
    res.on("close", () => land(res));
    const firstOnSocket = !servedSockets.has(req.socket);
    servedSockets.add(req.socket);
    const previousFirstOnSocket = lastFirstOnSocket;
    lastFirstOnSocket = firstOnSocket;
    // A refusal is answered at once, so that it does not itself hold a slot and cause more.
    if (breach) {
      stats.limitBreaches++;
      stats.breaches.push({
        call: stats.calls,
        reason: breach,
        inFlight: inFlight - 1,
        gapMs: Math.round(gapMs * 10) / 10,
        widestGapMs: Math.round(widestGapMs * 10) / 10,
        newConnection: firstOnSocket,
        previousOnNewConnection: previousFirstOnSocket,
      });
      send(res, 429, { error: `Too many requests: limit is ${maxConcurrent} concurrent, 200 ms apart` }, { "retry-after": "1" }, 0);
      return;
    }
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);

    if (req.method !== "GET" || !pipe || (pipe !== perViewPipe && !listsViews(pipe))) {
      send(res, 404, { error: `The pipe '${pipe ?? url.pathname}' does not exist` });
      return;
    }
    const auth = req.headers.authorization ?? "";
    if (auth !== `Bearer ${token}`) {
      send(res, 401, { error: "Invalid token" });
      return;
    }

    if (pipe === perViewPipe) {
      const documentId = url.searchParams.get("documentId");
      const viewId = url.searchParams.get("viewId");
      const version = url.searchParams.get("versionNumber");
      if (!documentId || !ID_PATTERN.test(documentId) || !viewId || !ID_PATTERN.test(viewId) || (version !== null && !/^\d+$/.test(version))) {
        send(res, 400, { error: "[Error] Missing or invalid required parameter: documentId, viewId (versionNumber must be an integer)" });
        return;
      }
    } else if (viewIds.length === 0 || viewIds.length > maxBatch || !viewIds.every((id) => ID_PATTERN.test(id))) {
      send(res, 400, { error: `[Error] viewIds must list 1 to ${maxBatch} view ids, comma-separated` });
      return;
    }

    for (const id of viewIds) {
      const fault = faults.get(id);
      if (fault && fault.remaining > 0) {
        // A batched call with several faulty views uses up one fault of each.
        for (const other of viewIds) {
          const f = faults.get(other);
          if (f && f.remaining > 0) f.remaining--;
        }
        stats.faultsSent++;
        send(res, fault.status, { error: `Injected fault ${fault.status}` }, fault.retryAfter ? { "retry-after": fault.retryAfter } : {});
        return;
      }
    }

    if (pipe === userAgentPipe) {
      const rows = viewIds.flatMap((viewId) => {
        const agent = agents.get(viewId);
        return agent ? [{ viewId, ...agent }] : [];
      });
      const meta = ["viewId", "browser", "os", "device", "country", "city"].map((name) => ({ name, type: "String" }));
      send(res, 200, { meta, data: rows, rows: rows.length, statistics: { elapsed: latencyMs / 1000, rows_read: rows.length, bytes_read: 0 } });
      return;
    }

    const rows = viewIds.flatMap((viewId) =>
      pagesOf(viewId).map((p) =>
        pipe === batchedPipe ? { viewId, pageNumber: p.pageNumber, sum_duration: p.durationMs } : { pageNumber: p.pageNumber, sum_duration: p.durationMs },
      ),
    );
    const meta =
      pipe === batchedPipe
        ? [
            { name: "viewId", type: "String" },
            { name: "pageNumber", type: "UInt16" },
            { name: "sum_duration", type: "UInt64" },
          ]
        : [
            { name: "pageNumber", type: "UInt16" },
            { name: "sum_duration", type: "UInt64" },
          ];
    send(res, 200, { meta, data: rows, rows: rows.length, statistics: { elapsed: latencyMs / 1000, rows_read: rows.length, bytes_read: 0 } });
  };

  const loop = watchEventLoop();
  const server = createServer(handle);
  server.on("connection", () => stats.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}`,
    port,
    token,
    stats: () => ({ ...structuredClone(stats), eventLoopDelayMaxMs: loop.maxLagMs() }),
    reset: () => {
      stats = emptyStats();
      loop.reset();
      faults = new Map();
      lastStart = undefined;
      previousEarliestArrival = undefined;
      lastFirstOnSocket = false;
    },
    setDurations: (source) => {
      durations = source;
    },
    setAgents: (source) => {
      agents = source;
    },
    injectFault: (fault) => {
      for (const id of fault.viewIds) faults.set(id, { status: fault.status, remaining: fault.times, retryAfter: fault.retryAfter });
    },
    close: async () => {
      loop.stop();
      // Keep-alive sockets would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function queryDatabase<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Every view's summed page durations from the PageView table, for benchmarks against real data. */
export async function loadPageViewDurations(databaseUrl: string): Promise<Map<string, FakePageDuration[]>> {
  const { rows } = await queryDatabase(databaseUrl, (client) =>
    client.query<{ viewId: string; pageNumber: number; durationMs: string }>(
      `SELECT "viewId", "pageNumber", SUM("durationMs") AS "durationMs" FROM "PageView" GROUP BY 1, 2 ORDER BY 1, 2`,
    ),
  );
  const map = new Map<string, FakePageDuration[]>();
  for (const row of rows) {
    const pages = map.get(row.viewId) ?? [];
    pages.push({ pageNumber: row.pageNumber, durationMs: Number(row.durationMs) });
    map.set(row.viewId, pages);
  }
  return map;
}

/** Every view's first page view's user agent from the PageView table, as the pipe takes it. */
export async function loadPageViewAgents(databaseUrl: string): Promise<AgentSource> {
  const { rows } = await queryDatabase(databaseUrl, (client) =>
    client.query<FakeViewAgent & { viewId: string }>(
      `SELECT DISTINCT ON ("viewId") "viewId", coalesce(browser, '') AS browser, coalesce(os, '') AS os, coalesce(device, '') AS device,
              coalesce(country, '') AS country, coalesce(city, '') AS city
         FROM "PageView" ORDER BY "viewId", "pageNumber", id`,
    ),
  );
  return new Map(rows.map(({ viewId, ...agent }) => [viewId, agent]));
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "7181" },
      host: { type: "string", default: "127.0.0.1" },
      latency: { type: "string", default: "20" },
      token: { type: "string", default: FAKE_TINYBIRD_TOKEN },
      "database-url": { type: "string" },
    },
  });
  const databaseUrl = values["database-url"];
  const durations = databaseUrl ? await loadPageViewDurations(databaseUrl) : new Map<string, FakePageDuration[]>();
  const agents = databaseUrl ? await loadPageViewAgents(databaseUrl) : new Map<string, FakeViewAgent>();
  const fake = await startFakeTinybird({
    agents,
    port: Number(values.port),
    host: values.host,
    latencyMs: Number(values.latency),
    token: values.token,
    durations,
  });
  console.log(`fake Tinybird on ${fake.url} (${durations.size} views; token from --token)`);
  const stop = () => {
    const s = fake.stats();
    console.log(`calls=${s.calls} 429s=${s.sent429} limitBreaches=${s.limitBreaches} maxInFlight=${s.maxInFlight}`);
    void fake.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
