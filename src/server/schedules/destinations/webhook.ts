/**
 * A webhook: the run's report POSTed as JSON to the team's URL, signed with the schedule's
 * secret as `X-Export-Center-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. A 2xx answer
 * is delivered; anything else is thrown, for the engine to retry.
 */
import { createHmac } from "node:crypto";

import { z } from "zod";

import { destinationNetworkPolicy, permittedUrl } from "./destination-network";
import { postJson } from "./outbound-post";
import type { ScheduleDestination } from "./schedule-destination";

export const SIGNATURE_HEADER = "X-Export-Center-Signature";

function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export const webhookInput = z.strictObject({
  type: z.literal("webhook"),
  url: permittedUrl(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2000)),
});

const storedSettings = z.object({ url: z.string() });

export const webhookDestination: ScheduleDestination<z.infer<typeof webhookInput>> = {
  type: "webhook",
  input: webhookInput,
  signed: true,
  settings: (input) => ({ url: input.url }),
  view: (settings) => ({ url: storedSettings.parse(settings).url }),
  async deliver({ settings, signingSecret, report, signal }) {
    if (!signingSecret) throw new Error("The schedule has no signing secret");
    const body = JSON.stringify(report);
    const { url } = storedSettings.parse(settings);
    const answer = await postJson(url, body, { [SIGNATURE_HEADER]: signatureOf(body, signingSecret) }, destinationNetworkPolicy(), signal);
    if (answer.status < 200 || answer.status >= 300) throw new Error(`The webhook answered HTTP ${answer.status}`);
  },
};
