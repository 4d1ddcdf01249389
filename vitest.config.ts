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
        // These measure a rate limit from the far side (a fake Tinybird that answers 429 to
        // calls under 200 ms apart). They run after the rest, one file at a time, so that a
        // loaded machine's scheduling jitter is not mistaken for a broken limit.
        extends: true,
        test: { name: "serial", include: [serial], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
