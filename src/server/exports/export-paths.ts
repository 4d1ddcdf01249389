/**
 * Where the REST API serves an export's file. Every visit mints a fresh presigned link, so
 * this path, unlike a link, can be kept: in a list, in an email, in Papermark's `result`.
 */
export const exportDownloadPath = (teamId: string, exportId: string) => `/api/teams/${teamId}/export-jobs/${exportId}?download=true`;
