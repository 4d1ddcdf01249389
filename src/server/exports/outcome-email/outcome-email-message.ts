/**
 * The email that tells someone how an export they asked to hear about ended: its file is ready
 * (the resource, rows, size and the download link), it failed (with the reason), or it was
 * cancelled. Plain text and a simple HTML part with the same content.
 */
import type { ExportJob } from "~/server/exports/job/export-job";
import type { EmailMessage } from "~/server/notifications/smtp-mailer";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Decimal units, as the export center shows sizes. */
export function formatSize(bytes: number): string {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${i === 0 ? value : value.toFixed(1)} ${units[i]}`;
}

export type MessageLine = { label: string; value: string };

export function composeMessage(to: string, subject: string, intro: string, lines: MessageLine[], link?: { text: string; url: string }): EmailMessage {
  const text = [intro, "", ...lines.map((l) => `${l.label}: ${l.value}`), ...(link ? ["", `${link.text}: ${link.url}`] : [])].join("\n");
  const rows = lines.map((l) => `<tr><th align="left">${escapeHtml(l.label)}</th><td>${escapeHtml(l.value)}</td></tr>`).join("");
  const html =
    `<p>${escapeHtml(intro)}</p><table>${rows}</table>` +
    (link ? `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.text)}</a></p><p>${escapeHtml(link.url)}</p>` : "");
  return { to, subject, text: `${text}\n`, html };
}

/** The message for an ended job. `link` is its download link (…/export-jobs/:id?download=true). */
export function outcomeEmailMessage(job: ExportJob, to: string, link: string): EmailMessage {
  const name = job.resourceName ?? job.resourceId;
  const what = { label: "Export", value: `${job.type} "${name}"` };
  if (job.status === "COMPLETED" && job.file) {
    const { file } = job;
    return composeMessage(
      to,
      `Your export of "${name}" is ready`,
      "Your export has finished. Open the link while signed in to Export Center to download the file.",
      [
        what,
        { label: "Rows", value: `${file.rowCount}${file.truncated ? " (truncated at the row limit)" : ""}` },
        { label: "Size", value: formatSize(file.size) },
        { label: "File", value: file.name },
        { label: "Available until", value: file.expiresAt },
      ],
      { text: "Download the file", url: link },
    );
  }
  if (job.status === "CANCELLED") {
    return composeMessage(to, `Your export of "${name}" was cancelled`, "Your export was cancelled before it finished; no file was made.", [what]);
  }
  return composeMessage(to, `Your export of "${name}" failed`, "Your export failed; no file was made. Start it again from the export center.", [
    what,
    { label: "Reason", value: job.error ?? "No reason was recorded" },
  ]);
}
