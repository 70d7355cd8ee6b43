-- AlterTable
ALTER TABLE "OperationRun" ADD COLUMN     "cancelRequestedAt" TIMESTAMPTZ(3),
ADD COLUMN     "cancelledById" UUID;

-- AddForeignKey
ALTER TABLE "OperationRun" ADD CONSTRAINT "OperationRun_cancelledById_fkey" FOREIGN KEY ("cancelledById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
