// Once per `vitest run`: a migrated template database that each test file clones (CREATE
// DATABASE ... TEMPLATE is far faster than migrating per file). Dropped at the end.
import pg from 'pg';
import { ensureDatabase, migrate } from '../../src/db/migrate.js';
import { adminUrl, TEMPLATE_DB, testDatabaseUrl } from './databases.js';

export async function setup() {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await ensureDatabase(testDatabaseUrl(TEMPLATE_DB));
  await migrate(testDatabaseUrl(TEMPLATE_DB));
}

export async function teardown() {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
