export type { AnalyticsProvider, PageDuration, PageDurationsByView, PageDurationsOptions, ViewRef } from "./analytics-provider";
export { createAnalyticsProvider, type AnalyticsConfig } from "./create-analytics-provider";
