/** The Slack message as Block Kit: link and figures for a finished run, the reason and the pause for a failed one. */
import { describe, expect, it } from "vitest";

import type { RunReport } from "./schedule-destination";
import { slackPayloadOf } from "./slack";

const completed: RunReport = {
  event: "export.completed", scheduleId: "s", exportId: "e", teamId: "t", status: "COMPLETED", fileName: "visits.csv", format: "csv",
  rowCount: 3, fileSize: 1500, truncated: false, downloadUrl: "https://exports.example.test/d", error: null, schedulePaused: false, pauseReason: null,
};

describe("slackPayloadOf", () => {
  it("has the figures and a download button for a finished run", () => {
    const payload = slackPayloadOf(completed);
    expect(payload.text).toContain("3 rows, 1.5 KB");
    expect(payload.blocks).toContainEqual({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Download the file" }, url: completed.downloadUrl }] });
  });

  it("says a failed run failed, why, and that the schedule paused", () => {
    const failed = { ...completed, event: "export.failed", status: "FAILED", downloadUrl: null, error: "no such table", schedulePaused: true, pauseReason: "Paused after 5 failed runs in a row" } as const;
    const payload = slackPayloadOf(failed);
    expect(payload.text).toMatch(/failed: no such table\. Paused after 5/);
    expect(payload.blocks.some((b) => "type" in b && b.type === "actions")).toBe(false);
  });
});
