/** Views and their page durations for the analytics tests, derived from the id so every process agrees. */
import { createHash, randomUUID } from "node:crypto";

import type { PageDuration, ViewRef } from "../analytics-provider";

/** The run's Redis (tests/global-setup.ts sets REDIS_URL); keys are prefixed per test. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379/4";

export const uniquePrefix = (name: string) => `test-analytics:${name}:${randomUUID().slice(0, 8)}`;

export function makeViews(count: number, prefix = randomUUID().slice(0, 8)): ViewRef[] {
  return Array.from({ length: count }, (_, i) => ({ viewId: `view_${prefix}_${i}`, documentId: `doc_${prefix}_${i % 3}` }));
}

/** 0 to 4 pages with durations that differ per view, so a mix-up between views shows. */
export function durationsFor(viewId: string): PageDuration[] {
  const hash = createHash("sha256").update(viewId).digest();
  const pages = (hash[0] ?? 0) % 5;
  return Array.from({ length: pages }, (_, i) => ({ pageNumber: i + 1, durationMs: ((hash[i + 1] ?? 0) + 1) * 37 }));
}
