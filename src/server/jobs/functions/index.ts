import { deleteExportFile } from "./delete-export-file";
import { exportMetricData } from "./export-metric-data";
import { exportVisits } from "./export-visits";
import { exportStorageSweep } from "./sweep-export-storage";

/** Every function the app serves at /api/inngest. */
export const functions = [exportMetricData, exportVisits, deleteExportFile, exportStorageSweep];
