import { describe, expect, it } from "vitest";

import { durationInWords } from "./durations";

describe("durationInWords", () => {
  it("words a configured duration in the largest unit that divides it, never rounded", () => {
    expect([1, 45, 60, 90, 120, 3_600, 5_400, 86_400, 604_800, 129_600].map((s) => durationInWords(s, "en"))).toEqual([
      "1 second",
      "45 seconds",
      "1 minute",
      "90 seconds",
      "2 minutes",
      "1 hour",
      "90 minutes",
      "1 day",
      "7 days",
      "36 hours",
    ]);
  });

  it("keeps a fraction of a second, as a wait in milliseconds may have", () => {
    expect(durationInWords(2.5, "en")).toBe("2.5 seconds");
  });

  it("speaks the locale it is given", () => {
    expect(durationInWords(120, "de")).toBe("2 Minuten");
  });
});
