/**
 * The demo teams and their people: "Demo Team" (an owner and a member) and "Other Team"
 * (its own owner), so that cross-team checks have something to refuse. Teams have fixed
 * ids; users are found by email, since one may exist already (signed in through OAuth).
 */
import { type PrismaClient, type Role } from "~/generated/prisma/client";
import { hashPassword } from "~/server/auth/password";

export const DEMO_TEAM_ID = "seed_team_demo";
export const OTHER_TEAM_ID = "seed_team_other";

export const DEMO_USERS = {
  demo: { email: "demo@example.com", name: "Demo User", password: "demo-password", teamId: DEMO_TEAM_ID, role: "OWNER" },
  member: { email: "member@example.com", name: "Member User", password: "member-password", teamId: DEMO_TEAM_ID, role: "MEMBER" },
  other: { email: "other@example.com", name: "Other User", password: "other-password", teamId: OTHER_TEAM_ID, role: "OWNER" },
} as const satisfies Record<string, { email: string; name: string; password: string; teamId: string; role: Role }>;

export type DemoUserKey = keyof typeof DEMO_USERS;

export async function seedAccounts(db: PrismaClient): Promise<Record<DemoUserKey, string>> {
  await db.team.createMany({
    data: [
      { id: DEMO_TEAM_ID, name: "Demo Team" },
      { id: OTHER_TEAM_ID, name: "Other Team" },
    ],
    skipDuplicates: true,
  });

  const ids = {} as Record<DemoUserKey, string>;
  for (const [key, user] of Object.entries(DEMO_USERS) as Array<[DemoUserKey, (typeof DEMO_USERS)[DemoUserKey]]>) {
    const existing = await db.user.findUnique({ where: { email: user.email }, select: { id: true } });
    // Hashing only for new users keeps a second run from rewriting every password hash.
    const { id } =
      existing ??
      (await db.user.create({
        data: { email: user.email, name: user.name, passwordHash: await hashPassword(user.password) },
        select: { id: true },
      }));
    ids[key] = id;
  }

  await db.membership.createMany({
    data: (Object.keys(DEMO_USERS) as DemoUserKey[]).map((key) => ({
      teamId: DEMO_USERS[key].teamId,
      userId: ids[key],
      role: DEMO_USERS[key].role,
    })),
    skipDuplicates: true,
  });
  return ids;
}
