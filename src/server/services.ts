/**
 * The composition root: builds each adapter once from the validated environment. Domain code
 * asks here instead of reading the environment itself, and tests can build adapters directly.
 */
import { getEnv } from "~/env";
import { type AnalyticsProvider, createAnalyticsProvider } from "~/server/analytics";
import { db } from "~/server/db";
import { JobFeed } from "~/server/exports/job/job-feed";
import { JobStore } from "~/server/exports/job/job-store";
import { RepeatJoins } from "~/server/exports/job/repeat-joins";
import { createSmtpMailer, type Mailer } from "~/server/notifications/smtp-mailer";
import { createRateLimits, type RateLimits } from "~/server/ratelimit/rate-limits";
import { type AppRedis, createRedis, createSubscriber } from "~/server/redis";
import { ObjectStorage, OpenUploadIndex, type StorageConfig, storageConfigFromEnv } from "~/server/storage";

const services: {
  redis?: AppRedis;
  jobs?: JobStore;
  repeatJoins?: RepeatJoins;
  jobFeed?: JobFeed;
  storage?: ObjectStorage;
  stepStorage?: ObjectStorage;
  openUploads?: OpenUploadIndex;
  analytics?: AnalyticsProvider;
  rateLimits?: RateLimits;
  mailer?: Mailer;
} = {};

export function getRedis(): AppRedis {
  const env = getEnv();
  return (services.redis ??= createRedis({
    upstashUrl: env.UPSTASH_REDIS_REST_URL,
    upstashToken: env.UPSTASH_REDIS_REST_TOKEN,
    redisUrl: env.REDIS_URL,
  }));
}

export function getJobStore(): JobStore {
  return (services.jobs ??= new JobStore(getRedis(), getEnv().EXPORT_JOB_TTL_SECONDS));
}

export function getRepeatJoins(): RepeatJoins {
  return (services.repeatJoins ??= new RepeatJoins(getRedis()));
}

/** Live job changes: pub/sub over TCP Redis, a shared poller over Upstash's HTTP API (job-feed.ts). */
export function getJobFeed(): JobFeed {
  const env = getEnv();
  const overHttp = Boolean(env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN);
  return (services.jobFeed ??= new JobFeed(getJobStore(), !overHttp && env.REDIS_URL ? createSubscriber(env.REDIS_URL) : null));
}

export function storageConfig(): StorageConfig {
  return storageConfigFromEnv(getEnv());
}

/** Storage for calls that only the SDK retries (3 tries a request): a user's request, a clean-up, the sweep. */
export function getStorage(): ObjectStorage {
  return (services.storage ??= new ObjectStorage(storageConfig(), { openUploads: getOpenUploads() }));
}

/**
 * Storage for calls made in an engine step that retries them itself (an export's upload, a
 * file's deletion after its lifetime): one try a request, so that only the step retries.
 */
export function getStepStorage(): ObjectStorage {
  return (services.stepStorage ??= new ObjectStorage(storageConfig(), { openUploads: getOpenUploads(), maxAttempts: 1 }));
}

/** The multipart uploads started and not yet finished, for the storage sweep. */
export function getOpenUploads(): OpenUploadIndex {
  return (services.openUploads ??= new OpenUploadIndex(getRedis(), storageConfig().bucket));
}

/** Tinybird behind the shared rate limit when TINYBIRD_TOKEN is set, else the local PageView table. */
export function getAnalytics(): AnalyticsProvider {
  const env = getEnv();
  return (services.analytics ??= createAnalyticsProvider({
    tinybird: { token: env.TINYBIRD_TOKEN, apiUrl: env.TINYBIRD_API_URL, pipe: env.TINYBIRD_PIPE, mode: env.TINYBIRD_MODE },
    redis: env.TINYBIRD_TOKEN ? getRedis() : undefined,
    db,
  }));
}

export function getRateLimits(): RateLimits {
  const env = getEnv();
  return (services.rateLimits ??= createRateLimits(getRedis(), {
    exportsPerUser: { limit: env.RATE_LIMIT_EXPORTS_PER_USER_PER_MINUTE, window: "1 m" },
    exportsPerTeam: { limit: env.RATE_LIMIT_EXPORTS_PER_TEAM_PER_HOUR, window: "1 h" },
    restPerToken: { limit: env.RATE_LIMIT_REST_PER_TOKEN_PER_MINUTE, window: "1 m" },
  }));
}

/** SMTP from EMAIL_SERVER and EMAIL_FROM, the same settings as the email sign-in; null when either is unset. */
export function getMailer(): Mailer | null {
  const { EMAIL_SERVER, EMAIL_FROM } = getEnv();
  if (!EMAIL_SERVER || !EMAIL_FROM) return null;
  return (services.mailer ??= createSmtpMailer({ server: EMAIL_SERVER, from: EMAIL_FROM }));
}
