/**
 * Our own private bucket, reached through short-lived presigned links: the file streams in
 * through a multipart upload, and the key's lifetime lets the storage sweep delete it should
 * its deletion run never come. Calls that an engine step retries (the upload, the deletion
 * after the file's lifetime) go through the storage that tries each request once.
 */
import { getStepStorage, getStorage } from "~/server/services";
import { newExportKey, teamExportsPrefix } from "~/server/storage";

import type { ExportDestination } from "./export-destination";

export const bucketDestination: ExportDestination = {
  id: "bucket",
  newKey: (teamId, fileName, lifetimeSeconds) => newExportKey(teamId, fileName, lifetimeSeconds),
  ownsKey: (teamId, key) => key.startsWith(teamExportsPrefix(teamId)),
  async deliver({ key, fileName, contentType, body, signal }) {
    await getStepStorage().uploadStream({ key, body, fileName, contentType, signal });
  },
  expire: (key) => getStepStorage().deleteObject(key),
  async discard(key) {
    // A producer killed mid-upload leaves its multipart upload open; nothing else would end it
    // before the storage sweep.
    await getStorage().abortOpenUploads(key);
    await getStorage().deleteObject(key);
  },
  exists: async (key) => (await getStorage().headObject(key)) !== null,
  link: (file, expiresInSeconds) => getStorage().presignDownload(file.key, { expiresInSeconds, fileName: file.name }),
};
