-- History retention (src/runs/retention.ts): the sweep's oldest-first scan of notifications, and a
-- restore run's last execution (kept) found without a scan.
-- CreateIndex
CREATE INDEX "Notification_createdAt_idx" ON "Notification"("createdAt");

-- CreateIndex
CREATE INDEX "OperationRun_restoreRunId_createdAt_idx" ON "OperationRun"("restoreRunId", "createdAt" DESC);
