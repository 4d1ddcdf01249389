/**
 * The typed client for other TypeScript apps: a vanilla tRPC client of the app's router, with
 * an API token, plus the few helpers an integration needs (start, wait, download link).
 *
 * The router is imported as a type only, so a consumer's bundle holds tRPC's client, superjson
 * and an EventSource, never the server. The EventSource comes from the `eventsource` package
 * because an API token travels in a header, which the browser's own EventSource cannot send.
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { EventSource } from "eventsource";
import superjson from "superjson";

import type { AppRouter } from "../server/api/root";

type Outputs = inferRouterOutputs<AppRouter>;
type Inputs = inferRouterInputs<AppRouter>;

export type ExportJob = Outputs["exports"]["get"];
export type DownloadLink = Outputs["exports"]["downloadUrl"];
/** Any kind's input with its kind, e.g. `{ kind: "document", documentId }`, as the app's kinds define it. */
export type ExportTarget = Inputs["exports"]["start"]["target"];
type WithoutRequestId<T> = T extends unknown ? Omit<T, "requestId"> : never;
/** What one of the visit procedures takes, without the requestId. */
export type VisitTarget = WithoutRequestId<Inputs["visits"]["exportDocument"] | Inputs["visits"]["exportDataroom"] | Inputs["visits"]["exportGroup"]>;

export interface ExportCenterClientOptions {
  /** Where the app runs, e.g. `https://exports.example.com`. */
  url: string;
  /** An API token (`ec_…`), from the app's API tokens page or `npm run admin -- create-token`. */
  token: string;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
}

export interface WaitOptions {
  /** Called with the job each time it changes, progress included. */
  onProgress?: (job: ExportJob) => void;
  /** Stops waiting (and only waiting: the export goes on); rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** An export that ended without a file: FAILED (with the reason) or CANCELLED. */
export class ExportFailedError extends Error {
  readonly job: ExportJob;
  readonly status: "FAILED" | "CANCELLED";

  constructor(job: ExportJob & { status: "FAILED" | "CANCELLED" }) {
    super(job.status === "CANCELLED" ? `Export ${job.id} was cancelled` : `Export ${job.id} failed: ${job.error ?? "no reason given"}`);
    this.name = "ExportFailedError";
    this.job = job;
    this.status = job.status;
  }
}

/** How often `waitForExport` asks for the job when the progress stream is unavailable. */
const POLL_MS = 3_000;

export function createExportCenterClient(options: ExportCenterClientOptions) {
  const endpoint = new URL("/api/trpc", options.url).toString();
  const authorization = `Bearer ${options.token}`;
  const baseFetch = options.fetch ?? globalThis.fetch;
  const authedFetch: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("authorization", authorization);
    return baseFetch(input, { ...init, headers });
  };

  const trpc: TRPCClient<AppRouter> = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: endpoint, transformer: superjson, EventSource, eventSourceOptions: { fetch: authedFetch } }),
        false: httpBatchLink({ url: endpoint, transformer: superjson, fetch: authedFetch }),
      }),
    ],
  });

  /**
   * The job once it has ended. Rejects as soon as the stream fails (its EventSource would
   * otherwise keep reconnecting quietly), so that the caller can poll instead.
   */
  function streamUntilEnded(teamId: string, exportId: string, { onProgress, signal }: WaitOptions): Promise<ExportJob> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        subscription.unsubscribe();
        finish();
      };
      const subscription = trpc.exports.onProgress.subscribe(
        { teamId, exportId },
        {
          signal,
          onData: ({ data: job }) => {
            if (settled) return;
            onProgress?.(job);
            if (isEnded(job)) settle(() => resolve(job));
          },
          onError: (error) => settle(() => reject(error)),
          onConnectionStateChange: (state) => {
            if (state.state === "connecting" && state.error) settle(() => reject(state.error));
          },
          onComplete: () => settle(() => reject(new Error("The progress stream ended before the export did"))),
        },
      );
    });
  }

  async function pollUntilEnded(teamId: string, exportId: string, { onProgress, signal }: WaitOptions): Promise<ExportJob> {
    let last = "";
    for (;;) {
      signal?.throwIfAborted();
      const job = await trpc.exports.get.query({ teamId, exportId }, { signal });
      const stamp = `${job.status}|${job.updatedAt}`;
      if (stamp !== last) onProgress?.(job);
      last = stamp;
      if (isEnded(job)) return job;
      await delay(POLL_MS, signal);
    }
  }

  return {
    /** The raw tRPC client, typed by the app's router: every procedure the UI uses. */
    trpc,

    /**
     * Starts an export of any kind; answers at once with the new job (PENDING). A `requestId`
     * makes a retried call reach the same export; `format` (CSV unless told) and `compression`
     * (`"gzip"`, where the format takes it) say what the file is to be.
     */
    async startExport(teamId: string, target: ExportTarget, input: Omit<Inputs["exports"]["start"], "teamId" | "target"> = {}) {
      return (await trpc.exports.start.mutate({ teamId, target, ...input })).job;
    },

    /** Starts a metric's export, in the `format` and `compression` given (CSV unless told); answers at once with the new job (PENDING). */
    async exportMetric(teamId: string, metricId: string, input: Omit<Inputs["metrics"]["export"], "teamId" | "metricId"> = {}) {
      return (await trpc.metrics.export.mutate({ teamId, metricId, ...input })).job;
    },

    /** Starts an export of the visits of a document, a dataroom, or one of its groups; the target may carry `format` and `compression`. */
    async exportVisits(target: VisitTarget) {
      if ("groupId" in target) return (await trpc.visits.exportGroup.mutate(target)).job;
      if ("dataroomId" in target) return (await trpc.visits.exportDataroom.mutate(target)).job;
      return (await trpc.visits.exportDocument.mutate(target)).job;
    },

    /**
     * Resolves with the job once it is COMPLETED, or rejects with an ExportFailedError. It
     * follows the progress stream, and falls back to asking every 3 s if the stream fails.
     */
    async waitForExport(teamId: string, exportId: string, wait: WaitOptions = {}): Promise<ExportJob> {
      let job: ExportJob;
      try {
        job = await streamUntilEnded(teamId, exportId, wait);
      } catch (error) {
        if (wait.signal?.aborted) throw wait.signal.reason;
        // The server's own refusal (not found, forbidden…) would only be repeated by polling.
        if (answeredByServer(error)) throw error;
        job = await pollUntilEnded(teamId, exportId, wait);
      }
      if (job.status === "FAILED" || job.status === "CANCELLED") throw new ExportFailedError({ ...job, status: job.status });
      return job;
    },

    /** A fresh link to the finished file, valid for 60 seconds or until the file is deleted (`expiresAt`): ask for it right before downloading. */
    downloadUrl(teamId: string, exportId: string): Promise<DownloadLink> {
      return trpc.exports.downloadUrl.mutate({ teamId, exportId });
    },
  };
}

export type ExportCenterClient = ReturnType<typeof createExportCenterClient>;

function isEnded(job: ExportJob): boolean {
  return job.status === "COMPLETED" || job.status === "FAILED" || job.status === "CANCELLED";
}

function answeredByServer(error: unknown): boolean {
  return typeof (error as { data?: { code?: unknown } } | null)?.data?.code === "string";
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
