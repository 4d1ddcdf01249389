/** The plain-language preview of the Schedules form. */
import { describe, expect, it } from "vitest";

import { cronInWords } from "./cron-words";

describe("cronInWords", () => {
  it("words the presets and their variations", () => {
    expect(cronInWords("* * * * *")).toBe("Every minute");
    expect(cronInWords("*/15 * * * *")).toBe("Every 15 minutes");
    expect(cronInWords("0 * * * *")).toBe("Every hour at minute 0");
    expect(cronInWords("30 9 * * *")).toBe("Every day at 09:30");
    expect(cronInWords("0 8 * * 1-5")).toBe("Every weekday at 08:00");
    expect(cronInWords("0 9 * * 1")).toBe("Every Monday at 09:00");
    expect(cronInWords("0 6 1 * *")).toBe("On day 1 of every month at 06:00");
  });

  it("says nothing of what it cannot word, rather than word it wrong", () => {
    expect(cronInWords("0 9 * 1 *")).toBeNull();
    expect(cronInWords("0 9-17 * * *")).toBeNull();
    expect(cronInWords("@daily")).toBeNull();
  });
});
