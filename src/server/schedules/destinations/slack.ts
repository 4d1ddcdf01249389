/**
 * Slack: the run's outcome POSTed to an incoming webhook as `{ text, blocks }` (Block Kit),
 * with the link and figures, or that it failed and why. https only, except where private
 * networks are allowed (destinationNetworkPolicy), as the webhook destination's URLs are. The
 * URL is sealed at rest and never shown whole.
 */
import { z } from "zod";

import { getEnv } from "~/env";
import type { JsonObject } from "~/server/exports/kinds";
import { formatSize } from "~/server/exports/outcome-email/outcome-email-message";
import { openJson, sealJson } from "~/server/vault";

import { destinationNetworkPolicy, permittedUrl } from "./destination-network";
import { postJson } from "./outbound-post";
import type { RunReport, ScheduleDestination } from "./schedule-destination";

export const slackInput = z.strictObject({
  type: z.literal("slack"),
  webhookUrl: permittedUrl(z.url({ protocol: /^https?$/, error: "must be a Slack incoming webhook URL" }).max(2000)),
});

/**
 * The URL is Slack's credential for the channel, so it is sealed with the vault and only its
 * origin kept in the clear, for the view. Rows saved before it was sealed hold it plain as
 * `webhookUrl`: they are read as they are rather than migrated (a migration cannot reach the
 * vault key), and sealed when the schedule's destinations are next saved.
 */
const storedSettings = z.union([z.object({ origin: z.string(), sealedWebhookUrl: z.string() }), z.object({ webhookUrl: z.string() })]);

function webhookUrlOf(settings: JsonObject): string {
  const stored = storedSettings.parse(settings);
  return "webhookUrl" in stored ? stored.webhookUrl : z.string().parse(openJson(stored.sealedWebhookUrl, getEnv().VAULT_KEY));
}

export function slackPayloadOf(report: RunReport) {
  const name = report.fileName ?? report.format;
  const text =
    report.status === "FAILED"
      ? `A scheduled export failed: ${report.error ?? "no reason was recorded"}${report.schedulePaused ? `. ${report.pauseReason ?? "The schedule is paused."}` : ""}`
      : `Scheduled export "${name}" is ready: ${report.rowCount ?? 0} rows, ${formatSize(report.fileSize ?? 0)}${report.downloadUrl ? ` ${report.downloadUrl}` : ""}`;
  const fields =
    report.status === "FAILED"
      ? [{ type: "mrkdwn", text: `*Reason*\n${report.error ?? "none recorded"}` }]
      : [
          { type: "mrkdwn", text: `*Rows*\n${report.rowCount ?? 0}${report.truncated ? " (truncated)" : ""}` },
          { type: "mrkdwn", text: `*Size*\n${formatSize(report.fileSize ?? 0)}` },
        ];
  const blocks: object[] = [{ type: "section", text: { type: "mrkdwn", text } }, { type: "section", fields }];
  if (report.downloadUrl) {
    blocks.push({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Download the file" }, url: report.downloadUrl }] });
  }
  return { text, blocks };
}

export const slackDestination: ScheduleDestination<z.infer<typeof slackInput>> = {
  type: "slack",
  input: slackInput,
  signed: false,
  settings: (input) => ({ origin: new URL(input.webhookUrl).origin, sealedWebhookUrl: sealJson(input.webhookUrl, getEnv().VAULT_KEY) }),
  view: (settings) => {
    const stored = storedSettings.parse(settings);
    return { webhookUrl: `${"origin" in stored ? stored.origin : new URL(stored.webhookUrl).origin}/…` };
  },
  async deliver({ settings, report, signal }) {
    const webhookUrl = webhookUrlOf(settings);
    const policy = destinationNetworkPolicy();
    if (new URL(webhookUrl).protocol !== "https:" && !policy.allowPrivateNetworks) throw new Error("A Slack webhook URL must be https");
    const answer = await postJson(webhookUrl, JSON.stringify(slackPayloadOf(report)), {}, policy, signal);
    if (answer.status < 200 || answer.status >= 300) throw new Error(`Slack answered HTTP ${answer.status}`);
  },
};
