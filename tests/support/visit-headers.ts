/** The visit files' headers as Papermark names them, then ours: what a user's spreadsheet expects. */
const AGENT_AND_EXTRAS = ["Browser", "OS", "Device", "Country", "City", "Pages viewed", "Total pages"];

export const DOCUMENT_HEADER = [
  "Viewed at",
  "Name",
  "Email",
  "Link Name",
  "Total View Duration (s)",
  "Total Document Completion (%)",
  "Document version",
  "Downloaded at",
  "Verified",
  "Agreement Accepted",
  "Agreement Name",
  "Agreement Content",
  "Agreement Accepted At",
  "Viewed from dataroom",
  ...AGENT_AND_EXTRAS,
];

export const DATAROOM_HEADER = [
  "Dataroom Viewed At",
  "Dataroom Downloaded At",
  "Visitor Name",
  "Visitor Email",
  "Link Name",
  "Verified",
  "Agreement Accepted",
  "Agreement Name",
  "Agreement Content",
  "Agreement Accepted At",
  "Document Name",
  "Document Viewed At",
  "Document Downloaded At",
  "Total Visit Duration (s)",
  "Total Document Completion (%)",
  "Document Version",
  ...AGENT_AND_EXTRAS,
];

export const customFieldHeader = (count: number) => Array.from({ length: count }, (_, i) => [`Custom Field ${i + 1} Label`, `Custom Field ${i + 1} Value`]).flat();
