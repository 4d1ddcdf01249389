/** A schedule's runs in its own zone, across DST changes, and the timings a schedule refuses. */
import { describe, expect, it } from "vitest";

import { nextRunAfter, nextRuns, timingProblem } from "./next-run";

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe("nextRuns", () => {
  it("reads the fields in the schedule's zone: 09:00 in Paris is 08:00 UTC in winter, 07:00 in summer", () => {
    expect(iso(nextRuns("0 9 * * *", "Europe/Paris", new Date("2024-01-15T12:00:00Z"), 1))).toEqual(["2024-01-16T08:00:00.000Z"]);
    expect(iso(nextRuns("0 9 * * *", "Europe/Paris", new Date("2024-07-15T12:00:00Z"), 1))).toEqual(["2024-07-16T07:00:00.000Z"]);
  });

  it("runs a 02:30 that the spring-forward skips once, at 03:00 local, then at 02:30 again", () => {
    // New York, 10 March 2024: 02:00 EST jumps to 03:00 EDT.
    expect(iso(nextRuns("30 2 * * *", "America/New_York", new Date("2024-03-09T12:00:00Z"), 3))).toEqual([
      "2024-03-10T07:00:00.000Z",
      "2024-03-11T06:30:00.000Z",
      "2024-03-12T06:30:00.000Z",
    ]);
  });

  it("runs a time that the fall-back repeats once, at its first occurrence", () => {
    // New York, 3 November 2024: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    expect(iso(nextRuns("30 1 * * *", "America/New_York", new Date("2024-11-02T12:00:00Z"), 2))).toEqual(["2024-11-03T05:30:00.000Z", "2024-11-04T06:30:00.000Z"]);
  });

  it("keeps an hourly schedule hourly through the repeated hour, with no run twice", () => {
    const runs = iso(nextRuns("0 * * * *", "Europe/London", new Date("2024-10-27T00:30:00Z"), 3));
    expect(runs).toEqual(["2024-10-27T01:00:00.000Z", "2024-10-27T02:00:00.000Z", "2024-10-27T03:00:00.000Z"]);
    expect(new Set(runs).size).toBe(3);
  });

  it("gives the first run strictly after the instant", () => {
    expect(nextRunAfter("0 9 * * 1", "UTC", new Date("2024-01-15T09:00:00Z"))?.toISOString()).toBe("2024-01-22T09:00:00.000Z");
  });
});

describe("timingProblem", () => {
  it("accepts a five-field cron in an IANA zone", () => {
    expect(timingProblem("*/15 9-17 * * 1-5", "America/New_York", 1)).toBeNull();
    expect(timingProblem("@daily", "UTC", 1)).toBeNull();
  });

  it("names the cron field for an expression that is not one", () => {
    expect(timingProblem("every day", "UTC", 1)).toMatchObject({ field: "cron" });
    expect(timingProblem("0 0 * * * *", "UTC", 1)).toMatchObject({ field: "cron" });
    expect(timingProblem("TZ=Europe/Paris 0 9 * * *", "UTC", 1)).toMatchObject({ field: "cron", message: expect.stringContaining("timezone field") });
  });

  it("names the timezone field for a zone that does not exist", () => {
    expect(timingProblem("0 9 * * *", "Mars/Olympus", 1)).toEqual({ field: "timezone", message: expect.stringContaining("Mars/Olympus") });
  });

  it("refuses a cron that fires more often than the minimum interval, even once an hour", () => {
    expect(timingProblem("*/5 * * * *", "UTC", 15)).toEqual({ field: "cron", message: expect.stringContaining("5 minute(s) apart") });
    // Every hour at :00 and :01 is 59 minutes apart most of the time, and 1 minute once an hour.
    expect(timingProblem("0,1 * * * *", "UTC", 15)).toMatchObject({ field: "cron" });
    expect(timingProblem("*/15 * * * *", "UTC", 15)).toBeNull();
  });
});
