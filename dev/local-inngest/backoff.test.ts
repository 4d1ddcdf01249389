/** The retry schedule against Inngest's own table (pkg/backoff/backoff.go), at the edges of its jitter. */
import { describe, expect, it } from "vitest";

import { retryAfterMs, retryDelayMs } from "./backoff";

const least = () => 0;
const most = () => 0.999_999;

describe("retryDelayMs", () => {
  it("follows Inngest's table: 15 s, 30 s, 1, 2, 5, 10, 20, 40 min, 1 h, then 2 h for ever", () => {
    const minutes = [0.25, 0.5, 1, 2, 5, 10, 20, 40, 60, 120, 120, 120];
    expect(minutes.map((_, attempt) => retryDelayMs(attempt, 1, least))).toEqual(minutes.map((m) => m * 60_000));
  });

  it("adds up to 30 s of jitter", () => {
    expect(retryDelayMs(0, 1, most)).toBe(15_000 + 29_999);
    expect(retryDelayMs(9, 1, () => 0.5)).toBe(2 * 3_600_000 + 15_000);
  });

  it("scales the whole schedule, jitter included, for tests", () => {
    expect(retryDelayMs(1, 0.01, least)).toBe(300);
    expect(retryDelayMs(1, 0.01, most)).toBeCloseTo(599.99, 1);
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and dates, and ignores what is absent, past or unreadable", () => {
    const now = Date.parse("2024-01-01T00:00:00Z");
    expect(retryAfterMs("2", now)).toBe(2000);
    expect(retryAfterMs("2024-01-01T00:01:00Z", now)).toBe(60_000);
    expect(retryAfterMs("2023-12-31T23:59:00Z", now)).toBeNull();
    expect(retryAfterMs("soon", now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });
});
