export { contentDisposition, EXPORTS_PREFIX, lifetimeOfExportKey, newExportKey, safeFileName, teamExportsPrefix } from "./file-names";
export { ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS, type LifecycleOutcome, ObjectStorage, type StoredObject, type UploadInput } from "./object-storage";
export { type OpenUpload, OpenUploadIndex } from "./open-upload-index";
export { STORAGE_UNAVAILABLE_MESSAGE } from "./storage-errors";
export { createS3Client, type R2StorageConfig, r2Endpoint, type S3StorageConfig, type StorageConfig, storageConfigFromEnv } from "./storage-config";
export { type SweepPolicy, type SweepReport, sweepExportStorage } from "./sweep-export-storage";
