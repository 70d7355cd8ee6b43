-- AlterTable
ALTER TABLE "Schedule" ADD COLUMN     "pausedAt" TIMESTAMPTZ(3),
ADD COLUMN     "pausedReasonCode" TEXT,
ADD COLUMN     "pausedReasonMessage" TEXT;
