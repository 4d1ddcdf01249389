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
        // These check the Tinybird limit on the limiter's own record, and have a fake Tinybird
        // referee from the far side. The referee excuses its own stalls, but not a sender held
        // up between recording a call's start and sending it, which on a busy machine can
        // shorten a 200 ms gap at arrival; running after the rest, one file at a time, keeps
        // that far from its 100 ms line.
        extends: true,
        test: { name: "serial", include: [serial], env: testAppEnv(), globalSetup: ["tests/global-setup.ts"], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
