-- CreateTable
CREATE TABLE "Agreement" (
    "id" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Agreement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DataroomVisit" (
    "id" TEXT NOT NULL,
    "dataroomId" TEXT NOT NULL,
    "groupId" TEXT,
    "linkId" TEXT,
    "viewerEmail" TEXT,
    "viewerName" TEXT,
    "viewedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "downloadedAt" TIMESTAMP(3),
    "verified" BOOLEAN NOT NULL DEFAULT false,
    "agreementId" TEXT,
    "agreementAcceptedAt" TIMESTAMP(3),
    "customFields" JSONB,

    CONSTRAINT "DataroomVisit_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "View" ADD COLUMN     "dataroomVisitId" TEXT,
ADD COLUMN     "downloadedAt" TIMESTAMP(3),
ADD COLUMN     "verified" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "agreementId" TEXT,
ADD COLUMN     "agreementAcceptedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "PageView" ADD COLUMN     "browser" TEXT,
ADD COLUMN     "os" TEXT,
ADD COLUMN     "device" TEXT,
ADD COLUMN     "country" TEXT,
ADD COLUMN     "city" TEXT;

-- CreateIndex
CREATE INDEX "Agreement_teamId_idx" ON "Agreement"("teamId");

-- CreateIndex
CREATE INDEX "DataroomVisit_dataroomId_viewedAt_idx" ON "DataroomVisit"("dataroomId", "viewedAt");

-- CreateIndex
CREATE INDEX "DataroomVisit_groupId_idx" ON "DataroomVisit"("groupId");

-- CreateIndex
CREATE INDEX "View_dataroomVisitId_idx" ON "View"("dataroomVisitId");

-- AddForeignKey
ALTER TABLE "Agreement" ADD CONSTRAINT "Agreement_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DataroomVisit" ADD CONSTRAINT "DataroomVisit_dataroomId_fkey" FOREIGN KEY ("dataroomId") REFERENCES "Dataroom"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DataroomVisit" ADD CONSTRAINT "DataroomVisit_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "DataroomGroup"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DataroomVisit" ADD CONSTRAINT "DataroomVisit_linkId_fkey" FOREIGN KEY ("linkId") REFERENCES "Link"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DataroomVisit" ADD CONSTRAINT "DataroomVisit_agreementId_fkey" FOREIGN KEY ("agreementId") REFERENCES "Agreement"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "View" ADD CONSTRAINT "View_dataroomVisitId_fkey" FOREIGN KEY ("dataroomVisitId") REFERENCES "DataroomVisit"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "View" ADD CONSTRAINT "View_agreementId_fkey" FOREIGN KEY ("agreementId") REFERENCES "Agreement"("id") ON DELETE SET NULL ON UPDATE CASCADE;
