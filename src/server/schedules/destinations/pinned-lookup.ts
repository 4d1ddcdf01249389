/**
 * The DNS lookup that every outgoing connection to a team's address goes through (a webhook,
 * Slack, the customer's bucket), under the network policy of src/server/sources/network-policy.ts.
 * Each host name is resolved and checked once, on first use, and every later connection to it
 * goes to the addresses that passed: a name that resolves elsewhere a moment later (DNS
 * rebinding) gains nothing, however many connections a client opens. Node connects to an IP
 * literal without calling a lookup, so callers check those themselves (`checkHost`).
 */
import { isIP, type LookupFunction } from "node:net";

import { assertPermitted, type NetworkPolicy, resolveAddresses } from "~/server/sources/network-policy";

export type PinnedLookup = {
  /** `lookup` as node:net, node:http(s) and their Agents take it. */
  lookup: LookupFunction;
  /** Resolves and checks `host` (a name or an IP literal, brackets allowed) and pins what passed. */
  checkHost(host: string): Promise<string[]>;
};

const bare = (host: string) => host.replace(/^\[(.*)\]$/, "$1");

/** `resolve` is the resolver's seam for tests; the system resolver otherwise. */
export function pinnedLookup(policy: NetworkPolicy, resolve: (host: string) => Promise<string[]> = resolveAddresses): PinnedLookup {
  const pinned = new Map<string, Promise<string[]>>();
  const checkHost = (host: string) => {
    const name = bare(host);
    let addresses = pinned.get(name);
    if (!addresses) {
      addresses = (isIP(name) ? Promise.resolve([name]) : resolve(name)).then((found) => {
        assertPermitted(name, found, policy);
        return found;
      });
      // A failed lookup or a refusal is not pinned: the next connection asks again.
      addresses.catch(() => pinned.delete(name));
      pinned.set(name, addresses);
    }
    return addresses;
  };
  const lookup: LookupFunction = (hostname, options, callback) => {
    checkHost(hostname).then(
      (addresses) => {
        const found = addresses.map((address) => ({ address, family: isIP(address) }));
        if (options.all) callback(null, found);
        else callback(null, found[0]!.address, found[0]!.family);
      },
      (error: Error) => callback(error, []),
    );
  };
  return { lookup, checkHost };
}
