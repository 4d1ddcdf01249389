import { z } from "zod";

import { defineCommand } from "../command";

export const revokeToken = defineCommand({
  name: "revoke-token",
  summary: "Revoke an API token",
  usage: "--id <tokenId>",
  flags: { id: { type: "string" } },
  input: z.object({ id: z.string({ error: "--id is required" }).trim().min(1, "--id must not be empty") }),
  async run({ id }) {
    const { revokeApiToken } = await import("~/server/auth/api-tokens");
    await revokeApiToken(id);
    return { json: { id, revoked: true }, text: `Token ${id} revoked` };
  },
});
