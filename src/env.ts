/**
 * The environment, read and validated in one place: every other module calls getEnv() instead
 * of reading process.env. A server checks it before it serves (exitOnInvalidEnv: from
 * src/instrumentation.ts in every Next.js server, and earlier still in scripts/serve.ts and
 * scripts/start.ts), so a missing or malformed variable stops the app at start-up with a
 * message that names it, never on a first request. `.env.example` documents each variable.
 */
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

/** The bucket when none is named: the original's R2_BUCKET default, which `npm start`'s s3rver also creates. */
export const DEFAULT_BUCKET = "metric-exports";

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),

    DATABASE_URL: z.url({ message: "must be a postgresql:// connection URL" }),

    REDIS_URL: z.url().optional(),
    UPSTASH_REDIS_REST_URL: z.url().optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),

    VAULT_KEY: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "must be 32 bytes as 64 hex characters (openssl rand -hex 32)"),

    AUTH_SECRET: z.string().min(16, "must be at least 16 characters (openssl rand -base64 32)"),
    /** The address users open; sign-in callbacks and redirects are built from it. Required in production. */
    AUTH_URL: z.url({ message: "must be the app's public URL, e.g. https://exports.example.com" }).optional(),
    /** Build those from the request's Host (or X-Forwarded-Host) instead, as outside production. */
    AUTH_TRUST_HOST: bool,
    AUTH_DEV_LOGIN: bool,
    AUTH_GITHUB_ID: z.string().optional(),
    AUTH_GITHUB_SECRET: z.string().optional(),
    AUTH_GOOGLE_ID: z.string().optional(),
    AUTH_GOOGLE_SECRET: z.string().optional(),
    EMAIL_SERVER: z.string().optional(),
    EMAIL_FROM: z.string().optional(),

    R2_ACCOUNT_ID: z.string().optional(),
    R2_ACCESS_KEY_ID: z.string().optional(),
    R2_SECRET_ACCESS_KEY: z.string().optional(),
    R2_BUCKET: z.string().default(DEFAULT_BUCKET),
    S3_ENDPOINT: z.url().optional(),
    S3_REGION: z.string().default("us-east-1"),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    S3_BUCKET: z.string().optional(),
    S3_FORCE_PATH_STYLE: bool,

    TINYBIRD_TOKEN: z.string().optional(),
    TINYBIRD_API_URL: z.url().default("https://api.tinybird.co"),
    /** Defaults to the pipe of TINYBIRD_MODE (see tinybird/README.md). */
    TINYBIRD_PIPE: z.string().optional(),
    TINYBIRD_MODE: z.enum(["per-view", "batched"]).default("batched"),

    EXPORT_JOB_TTL_SECONDS: int(7 * 24 * 3600),
    EXPORT_FILE_TTL_SECONDS: int(60),
    EXPORT_LINK_TTL_SECONDS: int(60),
    EXPORT_MAX_ROWS: int(1_000_000),
    EXPORT_MAX_BYTES: int(500 * 1024 * 1024),
    EXPORT_STATEMENT_TIMEOUT_MS: int(5 * 60 * 1000),
    EXPORT_REST_WAIT_MS: int(2 * 60 * 1000),

    /**
     * The local executor's dashboard, linked from the header. `npm start` and `npm run dev` set it
     * when they run the embedded executor; it has no login, so never set it for a deployment.
     */
    ENGINE_DASHBOARD_URL: z.url().optional(),

    /** Lets data sources reach loopback and private addresses in production (src/server/sources/network-policy.ts). */
    DATA_SOURCE_ALLOW_PRIVATE_NETWORKS: bool,

    /** The closest two runs of a schedule may be; a cron that fires more often is refused. */
    SCHEDULE_MIN_INTERVAL_MINUTES: int(1),
    /** The largest run file a schedule's email destination attaches; a bigger one is sent as a link only. */
    SCHEDULE_EMAIL_ATTACHMENT_MAX_BYTES: int(5 * 1024 * 1024),
    /** Lets schedule destinations (webhooks) reach loopback and private addresses in production (network-policy.ts). */
    DESTINATIONS_ALLOW_PRIVATE_NETWORKS: bool,
    /** The app's public address, from which the links in delivered messages are built. */
    APP_URL: z.url({ message: "must be the app's public URL, e.g. https://exports.example.com" }).default("http://localhost:3000"),

    RATE_LIMIT_EXPORTS_PER_USER_PER_MINUTE: int(10),
    RATE_LIMIT_EXPORTS_PER_TEAM_PER_HOUR: int(100),
    RATE_LIMIT_REST_PER_TOKEN_PER_MINUTE: int(300),
  })
  .superRefine((e, ctx) => {
    if (!e.REDIS_URL && !(e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN)) {
      ctx.addIssue({
        code: "custom",
        path: ["REDIS_URL"],
        message: "set REDIS_URL, or UPSTASH_REDIS_REST_URL with UPSTASH_REDIS_REST_TOKEN",
      });
    }
    if (e.NODE_ENV === "production" && !e.AUTH_URL && !e.AUTH_TRUST_HOST) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_URL"],
        message:
          "required in production: the app's public URL, e.g. https://exports.example.com, from which sign-in builds its links and redirects " +
          "(behind a proxy that sets X-Forwarded-Host, AUTH_TRUST_HOST=true instead)",
      });
    }
    const r2 = e.R2_ACCOUNT_ID && e.R2_ACCESS_KEY_ID && e.R2_SECRET_ACCESS_KEY;
    const s3 = e.S3_ENDPOINT && e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY;
    if (!r2 && !s3) {
      ctx.addIssue({
        code: "custom",
        path: ["R2_ACCOUNT_ID"],
        message:
          "set R2_ACCOUNT_ID, R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY, or S3_ENDPOINT, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY",
      });
    }
  });

export type Env = z.infer<typeof schema>;

/** A missing or malformed variable. The message names each one and what it must be, never its value. */
export class InvalidEnvError extends Error {
  override name = "InvalidEnvError";
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = schema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new InvalidEnvError(`Invalid environment configuration:\n${lines.join("\n")}\nSee .env.example.`);
  }
  return result.data;
}

let cached: Env | undefined;

/**
 * The validated environment, parsed on first use: a server has checked it at start-up already,
 * while tests, scripts and `next build` read it only where they need it.
 */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/**
 * A server's start-up check: when a variable is missing or malformed, prints which (with
 * `prefix`, the log's name for the process) and exits 1, before anything answers a request.
 */
export function exitOnInvalidEnv(source: Record<string, string | undefined>, prefix: string): void {
  try {
    parseEnv(source);
  } catch (error) {
    if (!(error instanceof InvalidEnvError)) throw error;
    console.error(`${prefix} ${error.message}`);
    process.exit(1);
  }
}

/** The development sign-in is on outside production, or in production by explicit choice. */
export function devLoginEnabled(e: Env = getEnv()): boolean {
  return e.NODE_ENV !== "production" || e.AUTH_DEV_LOGIN;
}
