import { getEnv } from "~/env";

/** The limits every export obeys, from the environment (see .env.example). */
export function exportLimits() {
  const env = getEnv();
  return {
    maxRows: env.EXPORT_MAX_ROWS,
    maxBytes: env.EXPORT_MAX_BYTES,
    statementTimeoutMs: env.EXPORT_STATEMENT_TIMEOUT_MS,
    metricFileTtlSeconds: env.EXPORT_FILE_TTL_SECONDS,
    jobTtlSeconds: env.EXPORT_JOB_TTL_SECONDS,
    linkTtlSeconds: env.EXPORT_LINK_TTL_SECONDS,
    restWaitMs: env.EXPORT_REST_WAIT_MS,
  };
}
