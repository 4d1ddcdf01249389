export { contentDisposition, EXPORTS_PREFIX, newExportKey, safeFileName } from "./file-names";
export { ObjectStorage, type StorageConfig } from "./object-storage";
