import type { ExportStatus } from "~/server/exports/job/export-job";

import { statusLabels } from "~/components/exports/export-labels";
import { Badge, type BadgeTone } from "~/components/ui/badge";

const tones: Record<ExportStatus, BadgeTone> = {
  PENDING: "neutral",
  PROCESSING: "active",
  COMPLETED: "success",
  FAILED: "danger",
  CANCELLED: "warning",
};

export function StatusBadge({ status }: { status: ExportStatus }) {
  return (
    <Badge tone={tones[status]} pulse={status === "PROCESSING"}>
      {statusLabels[status]}
    </Badge>
  );
}
