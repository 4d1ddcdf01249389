/**
 * The shape of each source type's credentials, as stored (encrypted) with the data source.
 * They arrive here already decrypted; parsing them never echoes a value in its errors.
 */
import { z } from "zod";

import { AppError } from "~/server/errors";

import { type DataSourceType } from "./source-adapter";

/** `true` for TLS with certificate checks, or the options a Node TLS socket takes. */
const tlsSchema = z.union([
  z.boolean(),
  z.object({
    rejectUnauthorized: z.boolean().optional(),
    /** PEM bundle of the certificate authority that signed the server's certificate. */
    ca: z.string().optional(),
  }),
]);

/** A database is reached over TCP by host name or address: no local socket, no host left to defaults. */
const namesHost = (url: string) => URL.canParse(url) && new URL(url).hostname !== "";

function decodes(url: string): boolean {
  if (!URL.canParse(url)) return true;
  const { hostname, username, password, pathname } = new URL(url);
  try {
    for (const part of [hostname, username, password, pathname]) decodeURIComponent(part);
    return true;
  } catch {
    return false;
  }
}

const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);

export const postgresCredentialsSchema = z.union([
  z.object({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .refine((url) => URL.canParse(url), "is not a valid URL")
      .refine(namesHost, "must name a host")
      .refine(decodes, "has a malformed %-escape"),
    ssl: tlsSchema.optional(),
  }),
  z.object({
    host: z.string().min(1),
    port: port(5432),
    database: z.string().min(1),
    user: z.string().min(1),
    password: z.string().optional(),
    ssl: tlsSchema.optional(),
  }),
]);

export const mysqlCredentialsSchema = z.union([
  z.object({
    /** Only host, port, database, user and password are taken from the URL; see mysql-connection. */
    url: z
      .string()
      .regex(/^(mysql|mariadb):\/\//, "must be a mysql:// or mariadb:// URL")
      .refine((url) => URL.canParse(url), "is not a valid URL")
      .refine(namesHost, "must name a host")
      .refine(decodes, "has a malformed %-escape"),
    ssl: tlsSchema.optional(),
  }),
  z.object({
    host: z.string().min(1),
    port: port(3306),
    database: z.string().min(1),
    user: z.string().min(1),
    password: z.string().optional(),
    ssl: tlsSchema.optional(),
  }),
]);

export const snowflakeCredentialsSchema = z
  .object({
    /** Account identifier, e.g. `myorg-myaccount` or `xy12345.eu-west-1`. */
    account: z.string().min(1),
    username: z.string().min(1),
    password: z.string().min(1).optional(),
    /** PEM private key for key-pair authentication, instead of a password. */
    privateKey: z.string().min(1).optional(),
    privateKeyPassphrase: z.string().optional(),
    warehouse: z.string().optional(),
    database: z.string().optional(),
    schema: z.string().optional(),
    role: z.string().optional(),
    /** Overrides https://<account>.snowflakecomputing.com, e.g. for PrivateLink. */
    accessUrl: z.url().optional(),
  })
  .refine((c) => c.password !== undefined || c.privateKey !== undefined, {
    message: "password or privateKey is required",
    path: ["password"],
  });

const serviceAccountSchema = z.looseObject({
  type: z.literal("service_account").optional(),
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  private_key_id: z.string().optional(),
  project_id: z.string().optional(),
  universe_domain: z.string().optional(),
});

export const bigQueryCredentialsSchema = z.object({
  projectId: z.string().min(1),
  /** The service account's JSON key, as an object or as the text of the key file. */
  credentials: z.preprocess((value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, serviceAccountSchema),
  /** Overrides https://bigquery.googleapis.com, e.g. for a private endpoint or a test fake. */
  apiEndpoint: z.url().optional(),
  /** Where jobs run, e.g. `EU` or `us-central1`; BigQuery infers it from the tables if absent. */
  location: z.string().optional(),
});

export type PostgresCredentials = z.infer<typeof postgresCredentialsSchema>;
export type MysqlCredentials = z.infer<typeof mysqlCredentialsSchema>;
export type SnowflakeCredentials = z.infer<typeof snowflakeCredentialsSchema>;
export type BigQueryCredentials = z.infer<typeof bigQueryCredentialsSchema>;

export const sourceCredentialsSchemas = {
  POSTGRES: postgresCredentialsSchema,
  MYSQL: mysqlCredentialsSchema,
  SNOWFLAKE: snowflakeCredentialsSchema,
  BIGQUERY: bigQueryCredentialsSchema,
} as const satisfies Record<DataSourceType, z.ZodType>;

export type SourceCredentials<T extends DataSourceType = DataSourceType> = z.infer<(typeof sourceCredentialsSchemas)[T]>;

function hasUrl(input: unknown): boolean {
  return typeof input === "object" && input !== null && "url" in input;
}

/**
 * Issues as "path: message". A failed url-or-fields union reports the form the input was
 * aiming at (it has a `url` or not) instead of zod's bare "Invalid input".
 */
function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "invalid_union" && issue.errors.length === 2 && issue.path.length === 0) {
      const form = issue.errors[hasUrl(input) ? 0 : 1] ?? [];
      return describeIssues(form, input);
    }
    return [`${issue.path.join(".") || "credentials"}: ${issue.message}`];
  });
}

/** Validates credentials for a source type; the error names the fields, never their values. */
export function parseSourceCredentials<T extends DataSourceType>(type: T, input: unknown): SourceCredentials<T> {
  const result = sourceCredentialsSchemas[type].safeParse(input);
  if (result.success) return result.data as SourceCredentials<T>;
  const problems = new Set(describeIssues(result.error.issues, input));
  throw new AppError("BAD_REQUEST", `Invalid ${type} credentials: ${[...problems].join("; ")}`);
}
