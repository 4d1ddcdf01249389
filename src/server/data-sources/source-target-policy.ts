import { type Env, getEnv } from "~/env";
import { postgresTarget, type SourceTargetPolicy } from "~/server/sources";

/**
 * Where this deployment's data sources may connect (src/server/sources/source-target.ts):
 * never the app's own database, and private networks only in development or when the operator
 * says so, as the embedded `npm start` does for its local demo databases.
 */
export function sourceTargetPolicy(env: Env = getEnv()): SourceTargetPolicy {
  return {
    allowPrivateNetworks: env.NODE_ENV !== "production" || env.DATA_SOURCE_ALLOW_PRIVATE_NETWORKS,
    overrideSetting: "DATA_SOURCE_ALLOW_PRIVATE_NETWORKS",
    appDatabase: postgresTarget({ url: env.DATABASE_URL }),
  };
}
