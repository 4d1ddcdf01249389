-- AlterTable
ALTER TABLE "ExportAuditEvent" ADD COLUMN     "format" TEXT NOT NULL DEFAULT 'csv',
ADD COLUMN     "compression" TEXT;
