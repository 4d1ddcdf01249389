import { defineConfig } from "prisma/config";

// Used by the Prisma CLI only. The app connects through @prisma/adapter-pg (src/server/db.ts).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx prisma/seed.ts" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/export_center" },
});
