import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const include = ["src/**/*.test.ts", "dev/**/*.test.ts", "scripts/**/*.test.ts", "tests/**/*.test.ts"];
const serial = "**/*.serial.test.ts";

export default defineConfig({
  resolve: { alias: { "~": fileURLToPath(new URL("./src", import.meta.url)) } },
  test: {
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["tests/global-setup.ts"],
    projects: [
      { extends: true, test: { name: "integration", include, exclude: [...configDefaults.exclude, serial], sequence: { groupOrder: 0 } } },
      {
        // These check the Tinybird limit on the limiter's own record, and have a fake Tinybird
        // referee from the far side. The referee excuses its own stalls, but not a sender held
        // up between recording a call's start and sending it, which on a busy machine can
        // shorten a 200 ms gap at arrival; running after the rest, one file at a time, keeps
        // that far from its 100 ms line.
        extends: true,
        test: { name: "serial", include: [serial], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
