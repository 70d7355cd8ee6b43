-- CreateEnum
CREATE TYPE "StartStatus" AS ENUM ('QUEUED', 'ALREADY_RUNNING', 'SCOPE_BUSY', 'BLOCKED');

-- AlterTable
ALTER TABLE "OperationRun" ADD COLUMN     "scheduleId" UUID;

-- CreateTable
CREATE TABLE "Schedule" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "type" "OperationType" NOT NULL,
    "providerConnectionId" UUID,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdById" UUID,
    "firings" INTEGER NOT NULL DEFAULT 0,
    "lastFiredAt" TIMESTAMPTZ(3),
    "lastOutcomeStatus" "StartStatus",
    "lastOutcomeMessage" TEXT,
    "lastOutcomeRunId" UUID,
    "deletedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Schedule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Schedule_tenantId_idx" ON "Schedule"("tenantId");

-- CreateIndex
CREATE INDEX "OperationRun_scheduleId_createdAt_idx" ON "OperationRun"("scheduleId", "createdAt" DESC);

-- AddForeignKey
ALTER TABLE "OperationRun" ADD CONSTRAINT "OperationRun_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Schedule" ADD CONSTRAINT "Schedule_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Schedule" ADD CONSTRAINT "Schedule_providerConnectionId_fkey" FOREIGN KEY ("providerConnectionId") REFERENCES "ProviderConnection"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Schedule" ADD CONSTRAINT "Schedule_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Schedule" ADD CONSTRAINT "Schedule_lastOutcomeRunId_fkey" FOREIGN KEY ("lastOutcomeRunId") REFERENCES "OperationRun"("id") ON DELETE SET NULL ON UPDATE CASCADE;
