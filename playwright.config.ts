import { defineConfig, devices } from "@playwright/test";

// The end-to-end suite runs the built app with its embedded services (scripts/start.ts),
// on ports and a database of its own so it never disturbs a developer's running app. Each
// address can be moved (E2E_*), so that two checkouts can run their suites side by side.
const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://localhost:${port}`;

export const e2eEnv = {
  PORT: String(port),
  DATABASE_URL: process.env.E2E_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/export_center_e2e",
  REDIS_URL: process.env.E2E_REDIS_URL ?? "redis://127.0.0.1:6379/3",
  S3RVER_PORT: process.env.E2E_S3RVER_PORT ?? "4579",
  INNGEST_EXECUTOR_PORT: process.env.E2E_INNGEST_EXECUTOR_PORT ?? "8299",
  // The SMTP catcher that scripts/start.ts runs (no EMAIL_SERVER is set): SMTP, and its page and API.
  SMTP_CATCHER_PORT: process.env.E2E_SMTP_PORT ?? "2599",
  SMTP_CATCHER_WEB_PORT: process.env.E2E_SMTP_WEB_PORT ?? "8098",
  EXPORT_CENTER_LOCAL_DIR: ".local/e2e",
  // The suite runs the signed path that `npm start` runs, whatever INNGEST_DEV the shell has.
  INNGEST_DEV: "0",
  // One run starts eight exports as the demo user within half a minute, and the limits' windows
  // (kept in Redis) outlast a run, so back-to-back runs would meet the production defaults of
  // 10 a minute per user and 100 an hour per team. The limits have tests of their own
  // (tests/rate-limits.test.ts); here they would only make the suite depend on how often it ran.
  RATE_LIMIT_EXPORTS_PER_USER_PER_MINUTE: "100",
  RATE_LIMIT_EXPORTS_PER_TEAM_PER_HOUR: "10000",
};

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  timeout: 60_000,
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Playwright's own browser download cannot run offline: use Debian's Chromium.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    command: "npx tsx scripts/start.ts",
    url: `${baseURL}/api/health`,
    timeout: 5 * 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...(process.env as Record<string, string>), ...e2eEnv },
  },
});
