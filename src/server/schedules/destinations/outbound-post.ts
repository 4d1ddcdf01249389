/**
 * POSTing to an address a team configured, under the network policy of
 * src/server/sources/network-policy.ts: the host is resolved and checked before the
 * connection, which goes to the address that passed (pinned-lookup.ts), so a name that
 * resolves elsewhere a moment later gains nothing; each redirect is followed the same way.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

import type { NetworkPolicy } from "~/server/sources/network-policy";

import { type PinnedLookup, pinnedLookup } from "./pinned-lookup";

const MAX_REDIRECTS = 3;
const TIMEOUT_MS = 10_000;

export type PostAnswer = { status: number; body: string };

async function postOnce(url: URL, body: string, headers: Record<string, string>, pinned: PinnedLookup, signal: AbortSignal): Promise<PostAnswer & { location?: string }> {
  // Checked before connecting, since Node connects to an IP literal without calling `lookup`.
  await pinned.checkHost(url.hostname);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
      lookup: pinned.lookup,
      timeout: TIMEOUT_MS,
      signal,
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} seconds`)));
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.length < 64 && chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8").slice(0, 2000), location: res.headers.location }));
    });
    req.end(body);
  });
}

/** POSTs `body` as JSON to `url`, following up to 3 redirects, each checked; the final answer. */
export async function postJson(url: string, body: string, headers: Record<string, string>, policy: NetworkPolicy, signal: AbortSignal): Promise<PostAnswer> {
  let target = new URL(url);
  const pinned = pinnedLookup(policy);
  for (let hop = 0; ; hop++) {
    const answer = await postOnce(target, body, headers, pinned, signal);
    const redirected = answer.status >= 300 && answer.status < 400 && answer.location;
    if (!redirected) return answer;
    if (hop === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    target = new URL(answer.location!, target);
    if (target.protocol !== "http:" && target.protocol !== "https:") throw new Error(`a redirect to ${target.protocol} is not followed`);
  }
}
