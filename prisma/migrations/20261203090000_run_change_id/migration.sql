-- A run's latest change, in commit order (docs/behaviour.md#resuming-a-subscription). Rows that
-- exist already have all committed, so any numbering of them is a valid order.
-- AlterTable
ALTER TABLE "OperationRun" ADD COLUMN     "changeId" BIGSERIAL NOT NULL;

-- CreateIndex
CREATE INDEX "OperationRun_changeId_idx" ON "OperationRun"("changeId");
