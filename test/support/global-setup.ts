// Once per `vitest run`: a migrated template database that each test file clones (CREATE
// DATABASE ... TEMPLATE is far faster than migrating per file). Its name is unique to the run,
// so two runs side by side never drop each other's template; it is dropped at the end.
import type { TestProject } from 'vitest/node';
import { ensureDatabase, migrate } from '../../src/db/migrate.js';
import { testDatabaseUrl, uniqueName, withAdmin } from './databases.js';
import { cleanUpRegistry, createRegistry, REGISTRY_ENV } from './registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  // Set before any test worker forks, so each inherits it (test/support/registry.ts).
  const registry = createRegistry();
  process.env[REGISTRY_ENV] = registry;
  const template = uniqueName('atlas_gate_test_tpl');
  await ensureDatabase(testDatabaseUrl(template));
  await migrate(testDatabaseUrl(template));
  project.provide('templateDatabase', template);
  return async () => {
    // Whatever a failed or crashed test file left running or created, then the template.
    const left = await cleanUpRegistry(registry, async (name) => {
      const { rowCount } = await withAdmin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]));
      if (!rowCount) return false;
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      return true;
    });
    if (left.killed.length || left.stoppedClusters.length || left.droppedDatabases.length)
      console.warn(`test teardown removed what test files left behind: ${JSON.stringify(left)}`);
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`));
  };
}
