/**
 * The server modules the commands share, loaded on first use (see command.ts for why), and
 * the look-ups whose failures an operator should read as "you named something that does
 * not exist" rather than as a crash.
 */
import { AppError } from "~/server/errors";

export async function database() {
  return (await import("~/server/db")).db;
}

type Database = Awaited<ReturnType<typeof database>>;

/** Prisma's connection pool would otherwise keep the process alive after the answer. */
export async function closeDatabase() {
  // Best effort: when the environment is invalid the command has already failed saying so.
  await database()
    .then((db) => db.$disconnect())
    .catch(() => {});
}

export async function requireTeam(db: Database, teamId: string) {
  const team = await db.team.findUnique({ where: { id: teamId }, select: { id: true, name: true } });
  if (!team) throw new AppError("NOT_FOUND", `No team with id "${teamId}"`);
  return team;
}

export async function requireUser(db: Database, email: string) {
  const user = await db.user.findUnique({ where: { email }, select: { id: true, email: true } });
  if (!user) throw new AppError("NOT_FOUND", `No user with email "${email}"`);
  return user;
}
