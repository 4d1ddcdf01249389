import { z } from "zod";

import { defineCommand, requiredText } from "../command";
import { database, requireTeam } from "../server";

const types = { postgres: "POSTGRES", mysql: "MYSQL" } as const;

export const createDataSource = defineCommand({
  name: "create-data-source",
  summary: "Add a PostgreSQL or MySQL data source to a team (the URL is stored encrypted)",
  usage: "--team <teamId> --type postgres|mysql --name <name> --url <connection url>",
  flags: { team: { type: "string" }, type: { type: "string" }, name: { type: "string" }, url: { type: "string" } },
  input: z.object({
    team: requiredText("team", 64),
    type: z.enum(["postgres", "mysql"], { error: "--type must be postgres or mysql" }),
    name: requiredText("name", 100),
    url: requiredText("url", 2000),
  }),
  async run({ team, type, name, url }) {
    const db = await database();
    await requireTeam(db, team);
    const { createDataSource: create } = await import("~/server/data-sources/data-sources");
    const source = await create(team, { name, type: types[type], credentials: { url } });
    return { json: { id: source.id }, text: `Data source ${source.id} (${name}) added to team ${team}` };
  },
});
