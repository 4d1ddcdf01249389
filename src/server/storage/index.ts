export { contentDisposition, EXPORTS_PREFIX, newExportKey, safeFileName } from "./file-names";
export { type LifecycleOutcome, ObjectStorage, type UploadInput } from "./object-storage";
export { createS3Client, DEFAULT_R2_BUCKET, type R2StorageConfig, r2Endpoint, type S3StorageConfig, type StorageConfig } from "./storage-config";
