import { z } from "zod";

import { defineCommand, requiredText } from "../command";
import { database } from "../server";

export const createTeam = defineCommand({
  name: "create-team",
  summary: "Create a team",
  usage: "--name <name>",
  flags: { name: { type: "string" } },
  input: z.object({ name: requiredText("name") }),
  async run({ name }) {
    const db = await database();
    const team = await db.team.create({ data: { name }, select: { id: true, name: true } });
    return { json: team, text: `Created team "${team.name}" (${team.id})` };
  },
});
