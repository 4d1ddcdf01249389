import { describe, expect, it } from "vitest";

import type { ExportJob } from "~/server/exports/job/export-job";

import { type ExportList, withArrivedJob } from "./export-cache";

/** A job with only what the cache compares: its id, when it was created and last changed, its status. */
const job = (id: string, createdAt: string, status: ExportJob["status"] = "PROCESSING", updatedAt = createdAt) => ({ id, createdAt, updatedAt, status }) as ExportJob;
const page = (...items: ExportJob[]): ExportList => ({ items, total: items.length, nextOffset: null });

describe("a job from the team's stream, on the first page", () => {
  const older = job("a", "2026-12-02T10:00:00.000Z");
  const newest = job("b", "2026-12-02T11:00:00.000Z");

  it("goes on top when it is newer than the page's newest: it was started elsewhere", () => {
    const started = job("c", "2026-12-02T12:00:00.000Z", "PENDING");
    expect(withArrivedJob(page(newest, older), started)).toEqual({ items: [started, newest, older], total: 3, nextOffset: null });
    expect(withArrivedJob(page(), started).items).toEqual([started]);
  });

  it("replaces the page's copy when the page holds it, and only with a newer one", () => {
    const moved = job("b", newest.createdAt, "COMPLETED", "2026-12-02T11:05:00.000Z");
    expect(withArrivedJob(page(newest, older), moved).items).toEqual([moved, older]);
    expect(withArrivedJob(page(moved, older), newest).items).toEqual([moved, older]);
  });

  it("leaves out a job older than the page's newest that the page does not hold: it is on a later page", () => {
    const list = page(newest, older);
    expect(withArrivedJob(list, job("z", "2026-12-02T09:00:00.000Z"))).toBe(list);
  });

  it("keeps the page to its size", () => {
    const full = page(newest, older);
    expect(withArrivedJob(full, job("c", "2026-12-02T12:00:00.000Z"), 2).items.map((j) => j.id)).toEqual(["c", "b"]);
  });
});
