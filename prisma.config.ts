// Prisma CLI configuration. Loaded before the CLI looks for its native schema engine,
// which cannot be downloaded on offline machines (see README "Database and migrations").
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';

process.env.CHECKPOINT_DISABLE = '1';

const command = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const needsEngine = command[0] !== 'generate' && command[0] !== 'validate' && command[0] !== 'format';
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY) {
  const wasmEngine = path.resolve('../shared/tools/prisma-schema-engine-wasm.mjs');
  if (existsSync(wasmEngine)) {
    process.env.PRISMA_SCHEMA_ENGINE_BINARY = wasmEngine;
  } else if (needsEngine) {
    // Without an engine, `migrate diff` exits 0 printing nothing: refuse instead of lying.
    throw new Error(
      'No Prisma schema engine is available offline. Set PRISMA_SCHEMA_ENGINE_BINARY to a schema engine ' +
        '(e.g. ../shared/tools/prisma-schema-engine-wasm.mjs), or use `npm run db:migrate` to apply migrations.',
    );
  } else {
    // `prisma generate` only checks that an engine path exists; it never runs it.
    process.env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/false';
  }
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/atlas_gate' },
});
