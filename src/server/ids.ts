import { z } from "zod";

/**
 * Every id the API accepts, REST or tRPC: a cuid, an export's UUID, or a client's request
 * id. Checked at the edge, so a NUL byte or a path never reaches a query or a Redis key.
 */
export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "is not a valid id");
