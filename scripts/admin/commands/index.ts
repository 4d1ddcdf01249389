import { type AdminCommand } from "../command";
import { applyLifecycleRule } from "./apply-lifecycle-rule";
import { createDataSource } from "./create-data-source";
import { createMetric } from "./create-metric";
import { createTeam } from "./create-team";
import { createToken } from "./create-token";
import { createUser } from "./create-user";
import { listTokens } from "./list-tokens";
import { revokeToken } from "./revoke-token";

/** In the order the usage text lists them. */
export const commands: readonly AdminCommand[] = [
  createTeam,
  createUser,
  createToken,
  listTokens,
  revokeToken,
  createDataSource,
  createMetric,
  applyLifecycleRule,
];
