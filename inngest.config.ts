/**
 * The Inngest client's configuration. The SDK itself reads the connection from the
 * environment, so the same build runs against every engine:
 *
 *   Inngest Cloud            INNGEST_EVENT_KEY + INNGEST_SIGNING_KEY
 *   self-hosted `inngest start`  the same keys + INNGEST_BASE_URL=http://inngest:8288
 *   `npx inngest-cli dev`    INNGEST_DEV=1 (dev server on http://localhost:8288)
 *   the local executor       INNGEST_DEV=1 + INNGEST_BASE_URL (what `npm start` sets)
 *
 * Without INNGEST_DEV=1 or a signing key, SDK v4 assumes Cloud and refuses unsigned calls.
 */
import type { ClientOptions } from "inngest";

const inngestConfig = {
  id: "export-center",
  appVersion: process.env.npm_package_version,
} satisfies ClientOptions;

export default inngestConfig;
