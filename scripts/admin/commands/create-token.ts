import { z } from "zod";

import { AppError } from "~/server/errors";

import { defineCommand, emailFlag, optionalText } from "../command";
import { database, requireTeam, requireUser } from "../server";

export const createToken = defineCommand({
  name: "create-token",
  summary: "Create an API token for a member of a team (shown once)",
  usage: "--email <email> --team <teamId> [--name <name>]",
  flags: { email: { type: "string" }, team: { type: "string" }, name: { type: "string" } },
  input: z.object({
    email: emailFlag,
    team: z.string({ error: "--team is required" }).trim().min(1, "--team must not be empty"),
    name: optionalText("name", 100),
  }),
  async run({ email, team: teamId, name }) {
    const db = await database();
    const { createApiToken } = await import("~/server/auth/api-tokens");
    await requireTeam(db, teamId);
    const user = await requireUser(db, email);
    const member = await db.membership.findUnique({ where: { teamId_userId: { teamId, userId: user.id } }, select: { id: true } });
    if (!member) throw new AppError("FORBIDDEN", `${email} is not a member of team ${teamId}`);

    const { id, token } = await createApiToken({ userId: user.id, teamId, name: name ?? "admin CLI" });
    return { json: { id, token }, text: `Token ${id} for ${email} on team ${teamId}: ${token}  (store it now: it is not shown again)` };
  },
});
