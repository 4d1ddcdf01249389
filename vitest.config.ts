import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

// With an extension, as Vite's native config loader wants it.
import { testAppEnv, unitTestEnv } from "./tests/support/test-env.js";

const include = ["src/**/*.test.ts", "dev/**/*.test.ts", "scripts/**/*.test.ts", "tests/**/*.test.ts"];
const unit = "**/*.unit.test.ts";
const serial = "**/*.serial.test.ts";

export default defineConfig({
  resolve: { alias: { "~": fileURLToPath(new URL("./src", import.meta.url)) } },
  test: {
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        // Tests that need no service (named *.unit.test.ts): no database to migrate first, and
        // every service's address a closed port, so that one that reached for a service fails.
        extends: true,
        test: { name: "unit", include: include.map((glob) => glob.replace(/\.test\.ts$/, ".unit.test.ts")), env: unitTestEnv(), sequence: { groupOrder: 0 } },
      },
      {
        // Against the machine's PostgreSQL, MariaDB and Redis (tests/support/test-env.ts).
        extends: true,
        test: {
          name: "integration",
          include,
          exclude: [...configDefaults.exclude, unit, serial],
          env: testAppEnv(),
          globalSetup: ["tests/global-setup.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // These measure a rate limit from the far side (a fake Tinybird that answers 429 to
        // calls under 200 ms apart). They run after the rest, one file at a time, so that a
        // loaded machine's scheduling jitter is not mistaken for a broken limit.
        extends: true,
        test: { name: "serial", include: [serial], env: testAppEnv(), globalSetup: ["tests/global-setup.ts"], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
