import { z } from "zod";

import { type Role } from "~/generated/prisma/client";
import { AppError } from "~/server/errors";

import { defineCommand, emailFlag, optionalText } from "../command";
import { database, requireTeam } from "../server";

const ROLES = ["owner", "admin", "member", "viewer"] as const;

/**
 * Creates the user if the email is new, then makes them a member of the team. Running it
 * again with the same team and role changes nothing; it never changes an existing user's
 * name, password or role, so a repeated script cannot quietly demote or reset anyone.
 */
export const createUser = defineCommand({
  name: "create-user",
  summary: "Create a user (if new) and add them to a team",
  usage: "--email <email> --team <teamId> --role <owner|admin|member|viewer> [--name <name>] [--password <password>]",
  flags: { email: { type: "string" }, team: { type: "string" }, role: { type: "string" }, name: { type: "string" }, password: { type: "string" } },
  input: z.object({
    email: emailFlag,
    team: z.string({ error: "--team is required" }).trim().min(1, "--team must not be empty"),
    role: z.preprocess(
      (value) => (typeof value === "string" ? value.trim().toLowerCase() : value),
      z.enum(ROLES, { error: `--role must be one of ${ROLES.join(", ")}` }),
    ),
    name: optionalText("name"),
    password: z.string().min(8, "--password must be at least 8 characters").optional(),
  }),
  async run({ email, team: teamId, role, name, password }, { log }) {
    const db = await database();
    await requireTeam(db, teamId);
    const wanted = role.toUpperCase() as Role;

    let user = await db.user.findUnique({ where: { email }, select: { id: true } });
    const created = !user;
    if (!user) {
      const { hashPassword } = await import("~/server/auth/password");
      user = await db.user.create({
        data: { email, name, passwordHash: password ? await hashPassword(password) : null },
        select: { id: true },
      });
    } else if (name !== undefined || password !== undefined) {
      log(`${email} already exists: --name and --password were left unchanged`);
    }

    const membership = await db.membership.findUnique({
      where: { teamId_userId: { teamId, userId: user.id } },
      select: { role: true },
    });
    if (membership && membership.role !== wanted) {
      throw new AppError(
        "CONFLICT",
        `${email} is already a ${membership.role.toLowerCase()} of team ${teamId}; create-user does not change roles`,
      );
    }
    if (!membership) await db.membership.create({ data: { teamId, userId: user.id, role: wanted } });

    const what = created ? "Created" : "Found";
    const joined = membership ? `already a ${role} of` : `added as ${role} to`;
    return { json: { id: user.id, email, teamId, role }, text: `${what} user ${email} (${user.id}), ${joined} team ${teamId}` };
  },
});
