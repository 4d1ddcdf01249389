import { serve } from "inngest/next";

import { functions } from "~/server/jobs/functions";
import { inngest } from "~/server/jobs/inngest-client";
import { log } from "~/server/log";

// Export steps stream whole files; give each call the platform's longest budget.
export const maxDuration = 300;

// Only INNGEST_DEV turns the SDK's signature check off (see inngest.config.ts): say so loudly.
if (inngest.mode === "dev") {
  log("warn", "inngest.unauthenticated", {
    message: "INNGEST_DEV is set: /api/inngest runs steps for unsigned calls. Use it only with the Inngest dev server on a machine of your own.",
  });
}

export const { GET, POST, PUT } = serve({ client: inngest, functions });
