// Replaces a tenant's synced directory rows with what the provider listed, in two statements
// whatever the size of the directory (an upsert per row was thousands of round trips for a
// large tenant): one INSERT ... ON CONFLICT over unnest()ed arrays, one DELETE of the rest.
import { randomUUID } from 'node:crypto';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';

type Table = 'DirectoryGroup' | 'RoleDefinition';
type Column = { name: string; sqlType: string };

const COLUMNS: Record<Table, Column[]> = {
  DirectoryGroup: [
    { name: 'displayName', sqlType: 'text' },
    { name: 'mail', sqlType: 'text' },
  ],
  RoleDefinition: [
    { name: 'displayName', sqlType: 'text' },
    { name: 'isBuiltIn', sqlType: 'boolean' },
  ],
};

export async function replaceDirectoryRows<T extends { externalId: string }>(
  prisma: PrismaClient,
  table: Table,
  tenantId: string,
  records: T[],
  values: Record<string, (record: T) => unknown>,
): Promise<void> {
  const columns = COLUMNS[table];
  const ident = (name: string) => Prisma.raw(`"${name}"`);
  const arrays = columns.map((c) => Prisma.sql`${records.map((r) => values[c.name](r))}::${Prisma.raw(c.sqlType)}[]`);
  const externalIds = records.map((r) => r.externalId);
  const now = new Date();
  await prisma.$transaction([
    prisma.$executeRaw`
      INSERT INTO ${ident(table)} (id, "tenantId", "externalId", ${Prisma.join(columns.map((c) => ident(c.name)))}, "syncedAt")
      SELECT u.id, ${tenantId}::uuid, u."externalId", ${Prisma.join(columns.map((c) => Prisma.sql`u.${ident(c.name)}`))}, ${now}
      FROM unnest(${records.map(() => randomUUID())}::uuid[], ${externalIds}::text[], ${Prisma.join(arrays)})
        AS u(id, "externalId", ${Prisma.join(columns.map((c) => ident(c.name)))})
      ON CONFLICT ("tenantId", "externalId") DO UPDATE SET
        ${Prisma.join(columns.map((c) => Prisma.sql`${ident(c.name)} = EXCLUDED.${ident(c.name)}`))}, "syncedAt" = EXCLUDED."syncedAt"`,
    prisma.$executeRaw`DELETE FROM ${ident(table)} WHERE "tenantId" = ${tenantId}::uuid AND NOT ("externalId" = ANY(${externalIds}::text[]))`,
  ]);
}
