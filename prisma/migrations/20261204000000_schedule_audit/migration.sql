-- CreateEnum
CREATE TYPE "ScheduleChange" AS ENUM ('CREATED', 'UPDATED', 'PAUSED', 'RESUMED', 'DELETED', 'RUN_NOW', 'AUTO_PAUSED');

-- CreateTable
CREATE TABLE "ScheduleAuditEvent" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "scheduleId" TEXT NOT NULL,
    "scheduleName" TEXT NOT NULL,
    "userId" TEXT,
    "change" "ScheduleChange" NOT NULL,
    "fields" JSONB NOT NULL,
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ScheduleAuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ScheduleAuditEvent_teamId_createdAt_idx" ON "ScheduleAuditEvent"("teamId", "createdAt");

-- CreateIndex
CREATE INDEX "ScheduleAuditEvent_scheduleId_createdAt_idx" ON "ScheduleAuditEvent"("scheduleId", "createdAt");

-- AddForeignKey
ALTER TABLE "ScheduleAuditEvent" ADD CONSTRAINT "ScheduleAuditEvent_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduleAuditEvent" ADD CONSTRAINT "ScheduleAuditEvent_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
