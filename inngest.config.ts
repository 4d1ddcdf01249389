/**
 * The Inngest client's configuration. The SDK itself reads the connection from the
 * environment, so the same build runs against every engine:
 *
 *   Inngest Cloud                INNGEST_EVENT_KEY + INNGEST_SIGNING_KEY
 *   self-hosted `inngest start`  the same keys + INNGEST_BASE_URL=http://inngest:8288
 *   the local executor           the same keys + INNGEST_BASE_URL (what `npm start` sets)
 *   `npx inngest-cli dev`        INNGEST_DEV=1 (dev server on http://localhost:8288)
 *
 * With a signing key the SDK is in cloud mode and answers 401 to any call to /api/inngest
 * that is not signed with it. INNGEST_DEV=1 turns that check off, as the dev server needs: it
 * is an explicit opt-in, and the app warns in its log when it is on. With neither, the SDK
 * refuses every call.
 */
import type { ClientOptions } from "inngest";

const inngestConfig = {
  id: "export-center",
  appVersion: process.env.npm_package_version,
} satisfies ClientOptions;

export default inngestConfig;
