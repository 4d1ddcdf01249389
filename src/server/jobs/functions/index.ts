import { deleteExportFile } from "./delete-export-file";
import { emailExportOutcome } from "./email-export-outcome";
import { exportMetricData } from "./export-metric-data";
import { exportVisits } from "./export-visits";
import { exportWatchdog } from "./export-watchdog";
import { runSchedule } from "./run-schedule";
import { scheduler } from "./scheduler";
import { settleEndedExport } from "./settle-ended-export";
import { exportStorageSweep } from "./sweep-export-storage";

/** Every function the app serves at /api/inngest. */
export const functions = [exportMetricData, exportVisits, deleteExportFile, settleEndedExport, exportWatchdog, exportStorageSweep, scheduler, runSchedule, emailExportOutcome];
