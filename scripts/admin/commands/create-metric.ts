import { z } from "zod";

import { defineCommand, requiredText } from "../command";
import { database, requireTeam } from "../server";

export const createMetric = defineCommand({
  name: "create-metric",
  summary: "Add a metric (a saved SQL query) on one of a team's data sources",
  usage: '--team <teamId> --source <dataSourceId> --name <name> --sql "select …"',
  flags: { team: { type: "string" }, source: { type: "string" }, name: { type: "string" }, sql: { type: "string" } },
  input: z.object({
    team: requiredText("team", 64),
    source: requiredText("source", 64),
    name: requiredText("name", 200),
    sql: requiredText("sql", 100_000),
  }),
  async run({ team, source, name, sql }) {
    const db = await database();
    await requireTeam(db, team);
    const { createMetric: create } = await import("~/server/metrics/metrics");
    const metric = await create(team, { name, sql, dataSourceId: source });
    return { json: { id: metric.id }, text: `Metric ${metric.id} (${name}) added to team ${team}` };
  },
});
