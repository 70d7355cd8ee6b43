-- A tenant's active runs (every start reads them, src/gate/admission-store.ts) from a partial index
-- that holds only QUEUED and RUNNING runs, instead of ("tenantId", "status") over every run ever
-- made. Each admission's insert went into that tenant's leaf of an index that grows with history:
-- on a million runs over 2,000 tenants, a different leaf per start and most of them a full-page
-- image in the WAL after each checkpoint; the partial index stays the size of the active runs.
-- Prisma cannot express a partial index (README, "Database"): hand-written, its WHERE clause lists
-- ACTIVE_STATUSES (src/operations/status.ts) like OperationRun_active_dedupeKey_key.
-- DropIndex
DROP INDEX "OperationRun_tenantId_status_idx";

-- CreateIndex
CREATE INDEX "OperationRun_active_tenantId_idx" ON "OperationRun"("tenantId") WHERE "status" IN ('QUEUED', 'RUNNING');
