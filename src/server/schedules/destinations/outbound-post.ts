/**
 * POSTing to an address a team configured, under the network policy of
 * src/server/sources/network-policy.ts: the host is resolved and checked when the connection
 * is made, and the connection goes to the address that passed, so a name that resolves
 * elsewhere a moment later gains nothing; each redirect is followed the same way.
 */
import type { LookupAddress } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";

import { type NetworkPolicy, resolvePermittedAddresses } from "~/server/sources/network-policy";

const MAX_REDIRECTS = 3;
const TIMEOUT_MS = 10_000;

export type PostAnswer = { status: number; body: string };

function guardedLookup(policy: NetworkPolicy) {
  return (hostname: string, options: { all?: boolean }, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    resolvePermittedAddresses(hostname, policy).then(
      (addresses) => {
        const found = addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
        if (options.all) callback(null, found);
        else callback(null, found[0]!.address, found[0]!.family);
      },
      (error: Error) => callback(error, []),
    );
  };
}

async function postOnce(url: URL, body: string, headers: Record<string, string>, policy: NetworkPolicy, signal: AbortSignal): Promise<PostAnswer & { location?: string }> {
  // Node connects to an IP literal without calling `lookup`: such a host is checked here.
  if (isIP(url.hostname.replace(/^\[(.*)\]$/, "$1"))) await resolvePermittedAddresses(url.hostname, policy);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
      lookup: guardedLookup(policy) as never,
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
  for (let hop = 0; ; hop++) {
    const answer = await postOnce(target, body, headers, policy, signal);
    const redirected = answer.status >= 300 && answer.status < 400 && answer.location;
    if (!redirected) return answer;
    if (hop === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    target = new URL(answer.location!, target);
    if (target.protocol !== "http:" && target.protocol !== "https:") throw new Error(`a redirect to ${target.protocol} is not followed`);
  }
}
