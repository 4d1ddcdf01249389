/**
 * Every destination a schedule can deliver to, by type. A new one is a file beside webhook.ts
 * and a line here; the schedule's input schema and the delivery step read this registry.
 */
import { z } from "zod";

import { emailDestination, emailInput } from "./email";
import type { ScheduleDestination } from "./schedule-destination";
import { s3Destination, s3Input } from "./s3";
import { slackDestination, slackInput } from "./slack";
import { webhookDestination, webhookInput } from "./webhook";

export type { DeliveredFile, DeliveryProgress, RunReport, ScheduleDestination } from "./schedule-destination";
export { runReportSchema } from "./schedule-destination";
export { SIGNATURE_HEADER } from "./webhook";

const scheduleDestinations = {
  webhook: webhookDestination,
  email: emailDestination,
  slack: slackDestination,
  s3: s3Destination,
} satisfies Record<string, ScheduleDestination>;

export function destinationOf(type: string): ScheduleDestination | undefined {
  return (scheduleDestinations as Record<string, ScheduleDestination | undefined>)[type];
}

/** One destination as the API takes it; an unknown type or a missing field is an issue at its own path. */
export const destinationInput = z.discriminatedUnion("type", [webhookInput, emailInput, slackInput, s3Input]);

export type DestinationInput = z.infer<typeof destinationInput>;
