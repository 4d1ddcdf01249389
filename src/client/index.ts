export {
  createExportCenterClient,
  type DownloadLink,
  type ExportCenterClient,
  type ExportCenterClientOptions,
  ExportFailedError,
  type ExportJob,
  type ExportTarget,
  type VisitTarget,
  type WaitOptions,
} from "./export-center-client";
