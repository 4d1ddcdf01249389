/**
 * The export harness with email: the project's SMTP catcher (dev/smtp-catcher.ts) as the
 * app's EMAIL_SERVER, and the fake Tinybird slowing each view's call (per-view mode, 5 calls
 * at a time, 200 ms apart), so that a visit export of ten views runs for a few seconds: long
 * enough to ask for its email while it runs, as Papermark's modal does after starting one.
 *
 * Call it before anything reads getEnv() in the test file, as startExportHarness.
 */
import { FAKE_TINYBIRD_TOKEN, startFakeTinybird } from "../../dev/fake-tinybird";
import { type SmtpCatcher, startSmtpCatcher } from "../../dev/smtp-catcher";
import { startExportHarness } from "./export-harness";

export const EMAIL_FROM = "Export Center <exports@example.test>";

export async function startEmailHarness() {
  let catcher = await startSmtpCatcher();
  const tinybird = await startFakeTinybird({ latencyMs: 300 });
  const harness = await startExportHarness({
    env: {
      EMAIL_SERVER: catcher.smtpUrl,
      EMAIL_FROM,
      TINYBIRD_TOKEN: FAKE_TINYBIRD_TOKEN,
      TINYBIRD_API_URL: tinybird.url,
      TINYBIRD_MODE: "per-view",
    },
  });
  return {
    harness,
    tinybird,
    get catcher(): SmtpCatcher {
      return catcher;
    },
    /** Takes the mail server down, as an outage would; `startMail` brings it back on the same port. */
    async stopMail() {
      await catcher.close();
    },
    async startMail() {
      catcher = await startSmtpCatcher({ port: catcher.smtpPort });
    },
    /** The email run of an export on the executor, if one was started. */
    emailRun: (exportId: string) => harness.executor.runs().find((r) => r.event.data.exportId === exportId && r.functionId.endsWith("email-export-outcome")),
    async close() {
      await harness.close();
      await tinybird.close();
      await catcher.close();
    },
  };
}
