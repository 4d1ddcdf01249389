/** Views and their page durations for the analytics tests, derived from the id so every process agrees. */
import { createHash, randomUUID } from "node:crypto";

import type { PageDuration, ViewRef } from "../analytics-provider";

/** A key prefix of each test's own, in the tests' shared Redis (tests/support/test-env.ts). */
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
