-- AlterEnum
ALTER TYPE "ExportChannel" ADD VALUE 'SCHEDULE';

-- CreateEnum
CREATE TYPE "ScheduleRunStatus" AS ENUM ('RUNNING', 'COMPLETED', 'FAILED');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('DELIVERED', 'FAILED');

-- CreateTable
CREATE TABLE "Schedule" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "exportKind" TEXT NOT NULL,
    "exportInput" JSONB NOT NULL,
    "metricVersion" INTEGER,
    "format" TEXT NOT NULL,
    "compression" TEXT,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "retentionDays" INTEGER NOT NULL DEFAULT 7,
    "destinations" JSONB NOT NULL,
    "sealedSigningSecret" TEXT,
    "nextRunAt" TIMESTAMP(3),
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "pausedAt" TIMESTAMP(3),
    "pauseReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Schedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduleRun" (
    "id" TEXT NOT NULL,
    "scheduleId" TEXT NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "exportId" TEXT,
    "status" "ScheduleRunStatus" NOT NULL DEFAULT 'RUNNING',
    "rows" INTEGER,
    "bytes" BIGINT,
    "truncated" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "ScheduleRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduleDelivery" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "destinationIndex" INTEGER NOT NULL,
    "destination" TEXT NOT NULL,
    "status" "DeliveryStatus" NOT NULL,
    "reason" TEXT,
    "tries" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ScheduleDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Schedule_teamId_createdAt_idx" ON "Schedule"("teamId", "createdAt");

-- CreateIndex
CREATE INDEX "Schedule_nextRunAt_idx" ON "Schedule"("nextRunAt");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduleRun_exportId_key" ON "ScheduleRun"("exportId");

-- CreateIndex
CREATE INDEX "ScheduleRun_scheduleId_startedAt_idx" ON "ScheduleRun"("scheduleId", "startedAt");

-- CreateIndex
CREATE INDEX "ScheduleRun_startedAt_idx" ON "ScheduleRun"("startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduleRun_scheduleId_dueAt_key" ON "ScheduleRun"("scheduleId", "dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduleDelivery_runId_destinationIndex_key" ON "ScheduleDelivery"("runId", "destinationIndex");

-- AddForeignKey
ALTER TABLE "Schedule" ADD CONSTRAINT "Schedule_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Schedule" ADD CONSTRAINT "Schedule_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduleRun" ADD CONSTRAINT "ScheduleRun_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduleDelivery" ADD CONSTRAINT "ScheduleDelivery_runId_fkey" FOREIGN KEY ("runId") REFERENCES "ScheduleRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;
