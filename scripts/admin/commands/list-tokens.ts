import { z } from "zod";

import { defineCommand } from "../command";
import { database, requireTeam } from "../server";

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const listTokens = defineCommand({
  name: "list-tokens",
  summary: "List a team's API tokens (never the tokens themselves)",
  usage: "--team <teamId>",
  flags: { team: { type: "string" } },
  input: z.object({ team: z.string({ error: "--team is required" }).trim().min(1, "--team must not be empty") }),
  async run({ team: teamId }) {
    const db = await database();
    const { listApiTokens } = await import("~/server/auth/api-tokens");
    await requireTeam(db, teamId);
    const tokens = (await listApiTokens(teamId)).map((t) => ({
      id: t.id,
      name: t.name,
      prefix: t.prefix,
      userId: t.userId,
      createdAt: iso(t.createdAt),
      lastUsedAt: iso(t.lastUsedAt),
      revokedAt: iso(t.revokedAt),
    }));
    const lines = tokens.map(
      (t) =>
        `${t.id}  ${t.prefix}…  "${t.name}"  user ${t.userId}  created ${t.createdAt}` +
        (t.revokedAt ? `  revoked ${t.revokedAt}` : t.lastUsedAt ? `  last used ${t.lastUsedAt}` : "  never used"),
    );
    return { json: { tokens }, text: lines.length ? lines.join("\n") : `Team ${teamId} has no API tokens` };
  },
});
