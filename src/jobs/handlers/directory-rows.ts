// Replaces a tenant's synced directory rows with what the provider listed, in two statements
// whatever the size of the directory (an upsert per row was thousands of round trips for a
// large tenant): one INSERT ... ON CONFLICT over unnest()ed arrays, one DELETE of the rest.
import { randomUUID } from 'node:crypto';
import { type Field, sqlNames } from '../../db/identifiers.js';
import { Prisma } from '../../generated/prisma/client.js';
import { getDatamodel } from '../../generated/pothos-types.js';
import type { DirectoryWriter } from '../handler.js';

type Table = 'DirectoryGroup' | 'RoleDefinition';
/** The columns a provider record fills (the rest are the key, the tenant and the sync time). */
type ValueField<M extends Table> = Exclude<Field<M>, 'id' | 'tenantId' | 'externalId' | 'syncedAt'>;

/** Prisma scalar type -> the PostgreSQL array element type unnest() needs. */
const SQL_TYPES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  DateTime: 'timestamptz',
};

function sqlType(table: Table, field: string): string {
  const found = getDatamodel().datamodel.models[table].fields.find((f) => f.name === field);
  const type = found && SQL_TYPES[found.type];
  if (!type) throw new Error(`${table}.${field} has no SQL array type here`);
  return type;
}

export async function replaceDirectoryRows<M extends Table, T extends { externalId: string }>(
  prisma: DirectoryWriter,
  table: M,
  tenantId: string,
  records: T[],
  values: Record<ValueField<M>, (record: T) => unknown>,
): Promise<void> {
  const names = sqlNames(table as Table);
  const columns = (Object.keys(values) as ValueField<M>[]).map((name) => ({ name, sqlType: sqlType(table, name) }));
  const ident = (name: string) => Prisma.raw(names.c(name as Field<Table>));
  const arrays = columns.map((c) => Prisma.sql`${records.map((r) => values[c.name](r))}::${Prisma.raw(c.sqlType)}[]`);
  const externalIds = records.map((r) => r.externalId);
  const now = new Date();
  await prisma.$transaction([
    prisma.$executeRaw`
      INSERT INTO ${Prisma.raw(names.t)} (${ident('id')}, ${ident('tenantId')}, ${ident('externalId')}, ${Prisma.join(columns.map((c) => ident(c.name)))}, ${ident('syncedAt')})
      SELECT u.id, ${tenantId}::uuid, u."externalId", ${Prisma.join(columns.map((c) => Prisma.sql`u.${ident(c.name)}`))}, ${now}
      FROM unnest(${records.map(() => randomUUID())}::uuid[], ${externalIds}::text[], ${Prisma.join(arrays)})
        AS u(id, "externalId", ${Prisma.join(columns.map((c) => ident(c.name)))})
      ON CONFLICT (${ident('tenantId')}, ${ident('externalId')}) DO UPDATE SET
        ${Prisma.join(columns.map((c) => Prisma.sql`${ident(c.name)} = EXCLUDED.${ident(c.name)}`))}, ${ident('syncedAt')} = EXCLUDED.${ident('syncedAt')}`,
    prisma.$executeRaw`DELETE FROM ${Prisma.raw(names.t)} WHERE ${ident('tenantId')} = ${tenantId}::uuid AND NOT (${ident('externalId')} = ANY(${externalIds}::text[]))`,
  ]);
}
