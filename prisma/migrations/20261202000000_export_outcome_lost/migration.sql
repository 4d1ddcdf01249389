-- AlterEnum
ALTER TYPE "ExportOutcome" ADD VALUE 'LOST';

-- CreateIndex
CREATE INDEX "ExportAuditEvent_outcome_createdAt_idx" ON "ExportAuditEvent"("outcome", "createdAt");
