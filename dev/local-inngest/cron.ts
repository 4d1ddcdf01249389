/**
 * Cron triggers as Inngest reads them (pkg/execution/cron/cron.go in inngest/inngest: five
 * fields or a descriptor such as `@daily`, with an optional `TZ=Zone/Name ` prefix, as
 * robfig/cron accepts it, and its `CRON_TZ=` spelling). Times are computed by croner, which
 * follows Vixie cron across DST changes: a fixed time that falls in a spring-forward gap runs
 * at the end of the gap, and a fixed time that occurs twice at fall-back runs once.
 */
import { Cron } from "croner";

export const SCHEDULED_EVENT = "inngest/scheduled.timer";

const TIMEZONE_PREFIX = /^(?:CRON_)?TZ=(\S+)\s+(.+)$/;

/** The schedule of `expression`; throws with the reason if Inngest's form does not allow it. */
export function parseCron(expression: string): Cron {
  const [, timezone, pattern] = TIMEZONE_PREFIX.exec(expression.trim()) ?? [undefined, undefined, expression.trim()];
  // croner would only fail on first use; Intl names the unknown zone now.
  if (timezone) new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  return new Cron(pattern!, { timezone, mode: "5-part" });
}

/** The first slot strictly after `afterMs`, in ms; null if the schedule never fires again. */
export function nextSlot(schedule: Cron, afterMs: number): number | null {
  return schedule.nextRun(new Date(afterMs))?.getTime() ?? null;
}

/** The event a cron run receives, in the shape Inngest sends (pkg/execution/executor/service.go). */
export function scheduledEvent(expression: string, slotMs: number) {
  const scheduledAt = new Date(slotMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    // Inngest's id for a cron event is the slot's time: its idempotency key.
    id: scheduledAt,
    name: SCHEDULED_EVENT,
    data: { cron: expression, scheduledAt, fireAt: scheduledAt },
    ts: slotMs,
  };
}
