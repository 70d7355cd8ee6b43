-- At most one default provider connection per tenant: the gate pins "the tenant's default" when
-- a start names none, so two would make that choice arbitrary. Hand-written (Prisma cannot
-- express partial indexes and leaves this one alone when diffing).

-- Existing duplicates keep their oldest default (ties by id); the others stop being defaults.
UPDATE "ProviderConnection" c SET "isDefault" = false
WHERE c."isDefault" AND EXISTS (
  SELECT 1 FROM "ProviderConnection" o
  WHERE o."tenantId" = c."tenantId" AND o."isDefault" AND (o."createdAt", o.id) < (c."createdAt", c.id)
);

CREATE UNIQUE INDEX "ProviderConnection_one_default_per_tenant_key" ON "ProviderConnection"("tenantId") WHERE "isDefault";
