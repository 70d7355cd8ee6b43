// Quoted SQL identifiers for the plain-SQL hot paths, built from Prisma's generated model and
// field enums: renaming a model or field in schema.prisma fails `tsc` at every raw query that
// names it, instead of that query at run time. (TypedSQL would need the query engine, which these
// offline machines do not have; see PRISMA-OFFLINE.md.)
import { Prisma } from '../generated/prisma/client.js';

const FIELDS = {
  User: Prisma.UserScalarFieldEnum,
  Workspace: Prisma.WorkspaceScalarFieldEnum,
  Membership: Prisma.MembershipScalarFieldEnum,
  Tenant: Prisma.TenantScalarFieldEnum,
  ProviderConnection: Prisma.ProviderConnectionScalarFieldEnum,
  RestoreRun: Prisma.RestoreRunScalarFieldEnum,
  OperationRun: Prisma.OperationRunScalarFieldEnum,
  Notification: Prisma.NotificationScalarFieldEnum,
  DirectoryGroup: Prisma.DirectoryGroupScalarFieldEnum,
  RoleDefinition: Prisma.RoleDefinitionScalarFieldEnum,
  Schedule: Prisma.ScheduleScalarFieldEnum,
} as const satisfies Record<Prisma.ModelName, Record<string, string>>;

export type Model = keyof typeof FIELDS;
export type Field<M extends Model> = keyof (typeof FIELDS)[M] & string;

/** A model's table and columns as SQL: `t` is `"Model"`, `c('field')` is `"field"` (or `a."field"` with an alias). */
export function sqlNames<M extends Model>(model: M) {
  const fields = FIELDS[model] as Record<string, string>;
  return {
    t: `"${Prisma.ModelName[model]}"`,
    c: (field: Field<M>, alias?: string) => `${alias ? `${alias}.` : ''}"${fields[field]}"`,
    /** Every scalar field of the model, as Prisma names them (and as `SELECT *` returns them). */
    fields: Object.keys(fields) as Field<M>[],
  };
}

export const RUN = sqlNames('OperationRun');
export const USER = sqlNames('User');
export const SCHEDULE = sqlNames('Schedule');
export const TENANT = sqlNames('Tenant');
export const CONNECTION = sqlNames('ProviderConnection');
export const RESTORE = sqlNames('RestoreRun');
export const NOTIFICATION = sqlNames('Notification');
