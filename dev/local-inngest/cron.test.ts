/** Cron expressions in Inngest's form, and the instants they name, across time zones and DST changes. */
import { describe, expect, it } from "vitest";

import { nextSlot, parseCron, scheduledEvent } from "./cron";

const next = (expression: string, after: string, count = 1) => {
  const schedule = parseCron(expression);
  const slots: string[] = [];
  let at = Date.parse(after);
  for (let i = 0; i < count; i++) {
    at = nextSlot(schedule, at)!;
    slots.push(new Date(at).toISOString());
  }
  return slots;
};

describe("parseCron", () => {
  it("reads five fields in UTC when no zone is given, the next slot strictly after the instant", () => {
    expect(next("* * * * *", "2024-01-01T00:00:00.000Z", 2)).toEqual(["2024-01-01T00:01:00.000Z", "2024-01-01T00:02:00.000Z"]);
    expect(next("*/15 9-10 * * 1-5", "2024-01-05T10:50:00Z", 2)).toEqual(["2024-01-08T09:00:00.000Z", "2024-01-08T09:15:00.000Z"]);
  });

  it("reads the TZ= prefix (and CRON_TZ=) as the zone of the fields", () => {
    expect(next("TZ=Europe/Paris 0 9 * * *", "2024-01-15T12:00:00Z")).toEqual(["2024-01-16T08:00:00.000Z"]);
    expect(next("CRON_TZ=Asia/Tokyo 30 8 * * *", "2024-01-15T12:00:00Z")).toEqual(["2024-01-15T23:30:00.000Z"]);
  });

  it("keeps a zone's wall-clock time across DST: 9:00 in New York is 14:00 UTC, then 13:00", () => {
    expect(next("TZ=America/New_York 0 9 * * *", "2024-03-09T00:00:00Z", 2)).toEqual(["2024-03-09T14:00:00.000Z", "2024-03-10T13:00:00.000Z"]);
  });

  it("runs a time in the spring-forward gap once, at the gap's end, and a time repeated at fall-back once", () => {
    // 02:30 does not exist in New York on 10 March 2024; 01:30 happens twice on 3 November.
    expect(next("TZ=America/New_York 30 2 * * *", "2024-03-09T12:00:00Z", 2)).toEqual(["2024-03-10T07:00:00.000Z", "2024-03-11T06:30:00.000Z"]);
    expect(next("TZ=America/New_York 30 1 * * *", "2024-11-02T12:00:00Z", 2)).toEqual(["2024-11-03T05:30:00.000Z", "2024-11-04T06:30:00.000Z"]);
  });

  it("matches either day field when both are set, as cron does", () => {
    expect(next("0 0 13 * 5", "2024-01-01T00:00:00Z", 3)).toEqual(["2024-01-05T00:00:00.000Z", "2024-01-12T00:00:00.000Z", "2024-01-13T00:00:00.000Z"]);
  });

  it("reads descriptors such as @daily and @hourly", () => {
    expect(next("@daily", "2024-01-01T10:00:00Z")).toEqual(["2024-01-02T00:00:00.000Z"]);
    expect(next("TZ=Europe/Paris @hourly", "2024-01-01T10:10:00Z")).toEqual(["2024-01-01T11:00:00.000Z"]);
  });

  it("refuses what Inngest's parser refuses: a seconds field, garbage, an unknown zone", () => {
    expect(() => parseCron("0 * * * * *")).toThrow();
    expect(() => parseCron("every minute")).toThrow();
    expect(() => parseCron("TZ=Mars/Olympus 0 9 * * *")).toThrow();
  });
});

describe("scheduledEvent", () => {
  it("has the shape Inngest sends: the slot as id and scheduledAt, RFC 3339 without fractions", () => {
    expect(scheduledEvent("TZ=Europe/Paris 0 9 * * *", Date.parse("2024-01-16T08:00:00Z"))).toEqual({
      id: "2024-01-16T08:00:00Z",
      name: "inngest/scheduled.timer",
      data: { cron: "TZ=Europe/Paris 0 9 * * *", scheduledAt: "2024-01-16T08:00:00Z", fireAt: "2024-01-16T08:00:00Z" },
      ts: Date.parse("2024-01-16T08:00:00Z"),
    });
  });
});
