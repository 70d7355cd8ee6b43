// `npm run schema:print`: writes the committed snapshot schema/schema.graphql.
import { mkdir, writeFile } from 'node:fs/promises';
import { printSchemaSnapshot, SCHEMA_SNAPSHOT } from '../src/graphql/snapshot.js';

await mkdir(new URL('.', SCHEMA_SNAPSHOT), { recursive: true });
await writeFile(SCHEMA_SNAPSHOT, printSchemaSnapshot());
console.log(`wrote ${SCHEMA_SNAPSHOT.pathname}`);
