// Once per `vitest run`: a migrated template database that each test file clones (CREATE
// DATABASE ... TEMPLATE is far faster than migrating per file). Its name is unique to the run,
// so two runs side by side never drop each other's template; it is dropped at the end.
import type { TestProject } from 'vitest/node';
import { ensureDatabase, migrate } from '../../src/db/migrate.js';
import { testDatabaseUrl, uniqueName, withAdmin } from './databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  const template = uniqueName('atlas_gate_test_tpl');
  await ensureDatabase(testDatabaseUrl(template));
  await migrate(testDatabaseUrl(template));
  project.provide('templateDatabase', template);
  return async () => {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`));
  };
}
