import { exportMetricData } from "./export-metric-data";

/** Every function the app serves at /api/inngest. */
export const functions = [exportMetricData];
