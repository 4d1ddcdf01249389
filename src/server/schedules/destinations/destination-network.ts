/**
 * Where destinations may connect (webhook, Slack, the customer's bucket): private networks
 * only in development or when the operator says so, checked on the addresses a host resolves
 * to (src/server/sources/network-policy.ts). An address is refused twice: where it is written,
 * so that the form names the field, and where it is called (pinned-lookup.ts), since what a
 * name resolves to can change after it was saved.
 */
import { type z } from "zod";

import { type Env, getEnv } from "~/env";
import { assertPermitted, resolveAddresses } from "~/server/sources/network-policy";

export function destinationNetworkPolicy(env: Env = getEnv()) {
  return { allowPrivateNetworks: env.NODE_ENV !== "production" || env.DESTINATIONS_ALLOW_PRIVATE_NETWORKS, overrideSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORKS" };
}

/**
 * `schema` (an http(s) URL), also refused at its own path when its host resolves to an address
 * the policy does not allow. A host that does not resolve now is let through: it reaches
 * nothing of ours, and a delivery records why it failed. Parse with parseAsync: the check
 * asks the resolver.
 */
export function permittedUrl<T extends z.ZodType<string>>(schema: T): T {
  return schema.superRefine(async (value, ctx) => {
    const policy = destinationNetworkPolicy();
    if (policy.allowPrivateNetworks || !URL.canParse(value)) return;
    const host = new URL(value).hostname;
    const addresses = await resolveAddresses(host).catch(() => null);
    if (!addresses) return;
    try {
      assertPermitted(host, addresses, policy);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  }) as T;
}
