import { serve } from "inngest/next";

import { functions } from "~/server/jobs/functions";
import { inngest } from "~/server/jobs/inngest-client";

// Export steps stream whole files; give each call the platform's longest budget.
export const maxDuration = 300;

export const { GET, POST, PUT } = serve({ client: inngest, functions });
