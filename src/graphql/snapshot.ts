import { printSchema } from 'graphql';
import { schema } from './schema/index.js';

export const SCHEMA_SNAPSHOT = new URL('../../schema/schema.graphql', import.meta.url);

export function printSchemaSnapshot(): string {
  return `${printSchema(schema)}\n`;
}
