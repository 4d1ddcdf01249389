// Runs `prisma generate` without Prisma's schema engine, which is a native binary that
// Prisma downloads at install time and that cannot be fetched on offline machines.
// `generate` never calls the engine, but Prisma insists that the binary path exists, so we
// point it at a stub that fails loudly should anything try to use it (migrations are plain
// SQL applied by scripts/db-migrate.ts instead).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const stub = fileURLToPath(new URL("./prisma-schema-engine-stub.sh", import.meta.url));
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= stub;
const result = spawnSync("npx", ["prisma", "generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
