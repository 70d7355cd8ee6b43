-- A tenant's runs, newest first, from an index (issue 23: the monitor's cost stays flat as history grows).
-- CreateIndex
CREATE INDEX "OperationRun_tenantId_createdAt_idx" ON "OperationRun"("tenantId", "createdAt" DESC);

-- The monitor filtered by status or by type, newest first.
-- CreateIndex
CREATE INDEX "OperationRun_status_createdAt_idx" ON "OperationRun"("status", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "OperationRun_type_createdAt_idx" ON "OperationRun"("type", "createdAt" DESC);
