/**
 * Page durations and where views were seen from, from Tinybird's HTTP API
 * (`GET {apiUrl}/v0/pipes/{pipe}.json`), through the distributed limiter. The durations come
 * from one of two pipes, chosen by `mode` (see tinybird/README.md):
 * - "per-view": one call per view, `?documentId=…&viewId=…[&versionNumber=…]`, answering
 *   `{ data: [{ pageNumber, sum_duration }] }`;
 * - "batched": one call per `batchSize` (≤ 100) views, `?viewIds=a,b,c`, answering
 *   `{ data: [{ viewId, pageNumber, sum_duration }] }`.
 * `sum_duration` is milliseconds; `pageNumber` may come as a number or a numeric string.
 * Where views were seen from comes from the user-agent pipe in either mode, one call per
 * `batchSize` views, `?viewIds=a,b,c`, answering `{ data: [{ viewId, browser, os, device,
 * country, city }] }`, an empty string meaning unknown.
 *
 * Failures: 429 and 5xx, network errors and timeouts are retried with exponential backoff
 * and jitter, waiting at least the Retry-After; any other 4xx fails at once, marked
 * non-retryable. This is the one layer that retries Tinybird calls (3 retries: 4 tries a
 * call); the export's steps do not try them again (tinybird-errors.ts). The token goes only
 * into the Authorization header, never into a URL or a message.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { z } from "zod";

import { isRetryable } from "~/server/errors";

import {
  collectDurations,
  type AnalyticsProvider,
  type PageDurationsByView,
  type PageDurationsOptions,
  type ViewAgent,
  type ViewAgentsByView,
  type ViewRef,
} from "./analytics-provider";
import { mapConcurrent } from "./map-concurrent";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from "./retry-policy";
import { redactToken, retryAfterMs, TinybirdError } from "./tinybird-errors";
import type { CallLimiter } from "./tinybird-limiter";

export type TinybirdMode = "per-view" | "batched";

export const DEFAULT_TINYBIRD_PIPES: Record<TinybirdMode, string> = {
  "per-view": "export_view_durations",
  batched: "export_view_durations_batched",
};

export const DEFAULT_TINYBIRD_USER_AGENT_PIPE = "export_view_user_agents";

/** The batched pipe's own cap on view ids per call. */
export const MAX_TINYBIRD_BATCH = 100;

export interface TinybirdProviderOptions {
  apiUrl: string;
  token: string;
  mode: TinybirdMode;
  /** Defaults to the pipe of `mode` in DEFAULT_TINYBIRD_PIPES. */
  pipe?: string;
  /** Defaults to DEFAULT_TINYBIRD_USER_AGENT_PIPE. */
  userAgentPipe?: string;
  limiter: CallLimiter;
  /** Views per call in batched mode, at most 100. */
  batchSize?: number;
  /** Per attempt. Must stay below the limiter's lease TTL, or a slow call could outlive its slot. */
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Extra gap after a call that probably opens a new connection (see callWithRetry), so that
   * its slower trip does not land it within 200 ms of the next call at Tinybird's end.
   */
  coldCallGapMs?: number;
  fetch?: typeof fetch;
}

/** Node's fetch closes an idle keep-alive connection after 4 s; past that, the next call connects anew. */
const IDLE_CONNECTION_MS = 4_000;

const pageNumber = z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number);
const duration = z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)]).transform((v) => Math.round(Number(v)));
const perViewResponse = z.object({ data: z.array(z.object({ pageNumber, sum_duration: duration })) });
const batchedResponse = z.object({ data: z.array(z.object({ viewId: z.string(), pageNumber, sum_duration: duration })) });
/** Tinybird writes an unknown value of a String column as "". */
const agentValue = z
  .string()
  .nullish()
  .transform((v) => v || null);
const userAgentResponse = z.object({
  data: z.array(z.object({ viewId: z.string(), browser: agentValue, os: agentValue, device: agentValue, country: agentValue, city: agentValue })),
});

type Row = { viewId: string; pageNumber: number; durationMs: number };

interface Call<T> {
  endpoint: string;
  params: Record<string, string>;
  /** Turns the pipe's answer into rows; per-view answers carry no viewId. */
  parse(body: unknown): T[] | undefined;
}

export class TinybirdAnalyticsProvider implements AnalyticsProvider {
  readonly name = "tinybird" as const;
  private readonly endpoint: string;
  private readonly userAgentEndpoint: string;
  private readonly token: string;
  private readonly mode: TinybirdMode;
  private readonly limiter: CallLimiter;
  private readonly batchSize: number;
  private readonly requestTimeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly fetch: typeof fetch;
  private readonly coldCallGapMs: number;
  private lastAnswerAt = Number.NEGATIVE_INFINITY;

  constructor(options: TinybirdProviderOptions) {
    const pipeUrl = (pipe: string) => `${options.apiUrl.replace(/\/+$/, "")}/v0/pipes/${encodeURIComponent(pipe)}.json`;
    this.endpoint = pipeUrl(options.pipe ?? DEFAULT_TINYBIRD_PIPES[options.mode]);
    this.userAgentEndpoint = pipeUrl(options.userAgentPipe ?? DEFAULT_TINYBIRD_USER_AGENT_PIPE);
    this.token = options.token;
    this.mode = options.mode;
    this.limiter = options.limiter;
    this.batchSize = options.batchSize ?? MAX_TINYBIRD_BATCH;
    if (this.batchSize < 1 || this.batchSize > MAX_TINYBIRD_BATCH) {
      throw new RangeError(`Tinybird batchSize must be between 1 and ${MAX_TINYBIRD_BATCH}`);
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.fetch = options.fetch ?? globalThis.fetch;
    this.coldCallGapMs = options.coldCallGapMs ?? 100;
  }

  async pageDurations(views: readonly ViewRef[], opts: PageDurationsOptions = {}): Promise<PageDurationsByView> {
    const unique = uniqueViews(views);
    const calls = this.mode === "batched" ? this.batchedCalls(unique) : unique.map((v) => this.perViewCall(v));
    const rows = await this.callAll(calls, opts.signal);
    return collectDurations(
      unique.map((v) => v.viewId),
      rows,
    );
  }

  async viewAgents(views: readonly ViewRef[], opts: PageDurationsOptions = {}): Promise<ViewAgentsByView> {
    const calls = this.chunks(uniqueViews(views)).map(
      (ids): Call<[string, ViewAgent]> => ({
        endpoint: this.userAgentEndpoint,
        params: { viewIds: ids.join(",") },
        parse: (body) => {
          const parsed = userAgentResponse.safeParse(body);
          // A row for a view nobody asked for is ignored rather than trusted.
          return parsed.success ? parsed.data.data.filter((r) => ids.includes(r.viewId)).map(({ viewId, ...agent }) => [viewId, agent]) : undefined;
        },
      }),
    );
    return new Map(await this.callAll(calls, opts.signal));
  }

  /** Every call under the limiter, in order; no more local tasks than it admits, as extra ones would only poll Redis. */
  private async callAll<T>(calls: readonly Call<T>[], signal?: AbortSignal): Promise<T[]> {
    const answers = await mapConcurrent(calls, this.limiter.maxConcurrent, (call, callSignal) => this.callWithRetry(call, callSignal), signal);
    return answers.flat();
  }

  /** View ids in lists of at most `batchSize`, one list a call. */
  private chunks(views: readonly ViewRef[]): string[][] {
    const lists: string[][] = [];
    for (let i = 0; i < views.length; i += this.batchSize) lists.push(views.slice(i, i + this.batchSize).map((v) => v.viewId));
    return lists;
  }

  private perViewCall(view: ViewRef): Call<Row> {
    const params: Record<string, string> = { documentId: view.documentId, viewId: view.viewId };
    if (view.versionNumber !== undefined) params.versionNumber = String(view.versionNumber);
    return {
      endpoint: this.endpoint,
      params,
      parse: (body) => {
        const parsed = perViewResponse.safeParse(body);
        if (!parsed.success) return undefined;
        return parsed.data.data.map((r) => ({ viewId: view.viewId, pageNumber: r.pageNumber, durationMs: r.sum_duration }));
      },
    };
  }

  private batchedCalls(views: readonly ViewRef[]): Call<Row>[] {
    return this.chunks(views).map((ids) => ({
      endpoint: this.endpoint,
      params: { viewIds: ids.join(",") },
      parse: (body) => {
        const parsed = batchedResponse.safeParse(body);
        if (!parsed.success) return undefined;
        return parsed.data.data.map((r) => ({ viewId: r.viewId, pageNumber: r.pageNumber, durationMs: r.sum_duration }));
      },
    }));
  }

  private async callWithRetry<T>(call: Call<T>, signal: AbortSignal): Promise<T[]> {
    for (let retry = 0; ; retry++) {
      try {
        // Until an answer has come back recently, no warm connection can be counted on: the
        // call may pay for connection setup (and, the first time, the HTTP client's own).
        const cold = performance.now() - this.lastAnswerAt > IDLE_CONNECTION_MS;
        return await this.limiter.run(() => this.callOnce(call, signal), { signal, extraGapMs: cold ? this.coldCallGapMs : 0 });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (!isRetryable(error) || retry >= this.retry.retries) throw error;
        const askedMs = retryAfterMs(error);
        if (askedMs !== undefined && askedMs > this.retry.maxRetryAfterMs) throw error;
        if (askedMs !== undefined) {
          // Tinybird's limit is per token, so every worker should hear the Retry-After.
          await this.limiter.holdOff(askedMs).catch(() => undefined);
        }
        await sleep(Math.max(askedMs ?? 0, backoffDelayMs(retry, this.retry)), undefined, { signal });
      }
    }
  }

  private async callOnce<T>(call: Call<T>, signal: AbortSignal): Promise<T[]> {
    const url = `${call.endpoint}?${new URLSearchParams(call.params).toString()}`;
    let response: Response;
    try {
      response = await this.fetch(url, {
        headers: { Authorization: `Bearer ${this.token}`, Accept: "application/json" },
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.requestTimeoutMs)]),
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      const reason = timedOut ? `no answer within ${this.requestTimeoutMs} ms` : networkReason(error);
      throw new TinybirdError("UPSTREAM_UNAVAILABLE", `Tinybird could not be reached: ${redactToken(reason, this.token)}`, {
        retryable: true,
      });
    }

    this.lastAnswerAt = performance.now();
    if (response.ok) {
      const body: unknown = await response.json().catch(() => undefined);
      const rows = call.parse(body);
      if (!rows) {
        // A shape we do not understand means the deployed pipe does not match this client;
        // asking again will not change that.
        throw new TinybirdError("UPSTREAM_UNAVAILABLE", "Tinybird answered in an unexpected shape; check that the deployed pipe matches tinybird/", {
          retryable: false,
          status: response.status,
        });
      }
      return rows;
    }

    const status = response.status;
    const upstreamMessage = redactToken(await errorText(response), this.token);
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    if (status === 429) {
      throw new TinybirdError("RATE_LIMITED", `Tinybird rate limit reached (429)${upstreamMessage}`, {
        retryable: true,
        status,
        retryAfterMs: retryAfter,
      });
    }
    if (status >= 500) {
      throw new TinybirdError("UPSTREAM_UNAVAILABLE", `Tinybird is unavailable (${status})${upstreamMessage}`, {
        retryable: true,
        status,
        retryAfterMs: retryAfter,
      });
    }
    if (status === 401 || status === 403) {
      throw new TinybirdError("UPSTREAM_UNAVAILABLE", `Tinybird refused the token (${status}); check TINYBIRD_TOKEN and its scopes`, {
        retryable: false,
        status,
      });
    }
    throw new TinybirdError("UPSTREAM_UNAVAILABLE", `Tinybird rejected the request (${status})${upstreamMessage}`, { retryable: false, status });
  }
}

function uniqueViews(views: readonly ViewRef[]): ViewRef[] {
  return [...new Map(views.map((v) => [v.viewId, v])).values()];
}

function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return "network error";
  // undici puts the useful part (ECONNREFUSED, ENOTFOUND…) in the cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

/** Tinybird explains errors as `{ "error": "…" }`; keep it short, as ": …". */
async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  let message = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && "error" in parsed && typeof parsed.error === "string") message = parsed.error;
  } catch {
    // Not JSON: use the text as it is.
  }
  message = message.trim().slice(0, 300);
  return message ? `: ${message}` : "";
}
