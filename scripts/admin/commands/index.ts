import { type AdminCommand } from "../command";
import { createTeam } from "./create-team";
import { createToken } from "./create-token";
import { createUser } from "./create-user";
import { listTokens } from "./list-tokens";
import { revokeToken } from "./revoke-token";

/** In the order the usage text lists them. */
export const commands: readonly AdminCommand[] = [createTeam, createUser, createToken, listTokens, revokeToken];
