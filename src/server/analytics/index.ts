export type { AnalyticsProvider, PageDuration, PageDurationsByView, PageDurationsOptions, ViewRef } from "./analytics-provider";
export { createAnalyticsProvider, type AnalyticsConfig } from "./create-analytics-provider";
export { createLocalAnalyticsProvider, LocalAnalyticsProvider } from "./local-analytics-provider";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-policy";
export { retryAfterMs, TinybirdError } from "./tinybird-errors";
export { createTinybirdLimiter, TINYBIRD_LIMITS, TinybirdLimiter, type CallLimiter, type TinybirdLimiterOptions } from "./tinybird-limiter";
export {
  createTinybirdProvider,
  DEFAULT_TINYBIRD_PIPES,
  MAX_TINYBIRD_BATCH,
  TinybirdAnalyticsProvider,
  type TinybirdMode,
  type TinybirdProviderOptions,
} from "./tinybird-provider";
