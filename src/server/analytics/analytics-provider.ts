/**
 * What a visit export needs from analytics: the page durations of many views at once, and
 * where each view was seen from. The shape is batch-oriented so that one call can be one HTTP
 * request (Tinybird's batched pipes), one request per view (the per-view durations pipe) or
 * one SQL query (the local provider).
 */

export interface ViewRef {
  viewId: string;
  documentId: string;
  /** The document version the view saw, when known; providers may use it to narrow the query. */
  versionNumber?: number;
}

export interface PageDuration {
  pageNumber: number;
  /** Total time spent on the page during the view, in milliseconds. */
  durationMs: number;
}

/**
 * viewId → durations, sorted by page number. Every requested view has an entry; a view with
 * no recorded page views maps to an empty array, so callers never confuse "none" with "missing".
 */
export type PageDurationsByView = Map<string, PageDuration[]>;

export interface PageDurationsOptions {
  signal?: AbortSignal;
}

/** Where a view was seen from: its first page view's browser, OS and device, country and city. */
export interface ViewAgent {
  browser: string | null;
  os: string | null;
  device: string | null;
  country: string | null;
  city: string | null;
}

/** viewId → where it was seen from; a view with no recorded page view has no entry. */
export type ViewAgentsByView = Map<string, ViewAgent>;

export interface AnalyticsProvider {
  readonly name: "tinybird" | "local";
  pageDurations(views: readonly ViewRef[], opts?: PageDurationsOptions): Promise<PageDurationsByView>;
  viewAgents(views: readonly ViewRef[], opts?: PageDurationsOptions): Promise<ViewAgentsByView>;
}

/** Sums duplicates per page and sorts, the same way every provider reports a view. */
export function collectDurations(
  viewIds: Iterable<string>,
  rows: Iterable<{ viewId: string; pageNumber: number; durationMs: number }>,
): PageDurationsByView {
  const perView = new Map<string, Map<number, number>>();
  for (const id of viewIds) perView.set(id, new Map());
  for (const row of rows) {
    const pages = perView.get(row.viewId);
    // A row for a view nobody asked for is ignored rather than trusted.
    if (!pages) continue;
    pages.set(row.pageNumber, (pages.get(row.pageNumber) ?? 0) + row.durationMs);
  }
  const result: PageDurationsByView = new Map();
  for (const [viewId, pages] of perView) {
    result.set(
      viewId,
      [...pages].sort(([a], [b]) => a - b).map(([pageNumber, durationMs]) => ({ pageNumber, durationMs })),
    );
  }
  return result;
}
