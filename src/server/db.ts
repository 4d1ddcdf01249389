import { PrismaPg } from "@prisma/adapter-pg";

import { getEnv } from "~/env";
import { PrismaClient } from "~/generated/prisma/client";

const createPrismaClient = () =>
  new PrismaClient({ adapter: new PrismaPg({ connectionString: getEnv().DATABASE_URL }) });

// One client per process; in development, Next's hot reload would otherwise open a new pool
// on every change.
const globalForPrisma = globalThis as unknown as { prisma?: ReturnType<typeof createPrismaClient> };

export const db = globalForPrisma.prisma ?? createPrismaClient();

if (getEnv().NODE_ENV !== "production") globalForPrisma.prisma = db;
