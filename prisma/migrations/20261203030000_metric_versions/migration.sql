-- CreateTable
CREATE TABLE "MetricVersion" (
    "id" TEXT NOT NULL,
    "metricId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "sql" TEXT NOT NULL,
    "dataSourceId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MetricVersion_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "ExportAuditEvent" ADD COLUMN "resourceVersion" INTEGER;

-- CreateIndex
CREATE UNIQUE INDEX "MetricVersion_metricId_number_key" ON "MetricVersion"("metricId", "number");

-- CreateIndex
CREATE INDEX "MetricVersion_dataSourceId_idx" ON "MetricVersion"("dataSourceId");

-- AddForeignKey
ALTER TABLE "MetricVersion" ADD CONSTRAINT "MetricVersion_metricId_fkey" FOREIGN KEY ("metricId") REFERENCES "Metric"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricVersion" ADD CONSTRAINT "MetricVersion_dataSourceId_fkey" FOREIGN KEY ("dataSourceId") REFERENCES "DataSource"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Backfill: every metric that exists today is its own version 1, made when the metric was.
-- The id is the metric's own with a suffix: unique, and stable if this runs on a copy.
INSERT INTO "MetricVersion" ("id", "metricId", "number", "sql", "dataSourceId", "createdAt")
SELECT "id" || '_v1', "id", 1, "sql", "dataSourceId", "createdAt" FROM "Metric";
