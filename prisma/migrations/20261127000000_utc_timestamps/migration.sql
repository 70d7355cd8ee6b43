-- Every timestamp is an instant (timestamptz), so no reader depends on a session's or a
-- process's time zone. The old columns held UTC wall-clock times (every session is UTC).
ALTER TABLE "ProviderConnection" ALTER COLUMN "checkedAt" SET DATA TYPE TIMESTAMPTZ(3) USING "checkedAt" AT TIME ZONE 'UTC',
ALTER COLUMN "createdAt" SET DATA TYPE TIMESTAMPTZ(3) USING "createdAt" AT TIME ZONE 'UTC';

ALTER TABLE "RestoreRun" ALTER COLUMN "createdAt" SET DATA TYPE TIMESTAMPTZ(3) USING "createdAt" AT TIME ZONE 'UTC';

ALTER TABLE "Tenant" ALTER COLUMN "verifiedAt" SET DATA TYPE TIMESTAMPTZ(3) USING "verifiedAt" AT TIME ZONE 'UTC',
ALTER COLUMN "createdAt" SET DATA TYPE TIMESTAMPTZ(3) USING "createdAt" AT TIME ZONE 'UTC';

ALTER TABLE "User" ALTER COLUMN "createdAt" SET DATA TYPE TIMESTAMPTZ(3) USING "createdAt" AT TIME ZONE 'UTC';

ALTER TABLE "Workspace" ALTER COLUMN "createdAt" SET DATA TYPE TIMESTAMPTZ(3) USING "createdAt" AT TIME ZONE 'UTC';
