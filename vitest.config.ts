import { configDefaults, defineConfig } from 'vitest/config';

// Two lanes. `unit` (test/unit) needs neither PostgreSQL nor Redis: `npm run test:unit` runs it
// alone (`vitest run --project unit`). `integration` is everything else, against the real services.
// `vitest run` with no --project runs both.
export default defineConfig({
  // graphql ships CJS and ESM builds; Pothos and Yoga must see the same one as our code.
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: the cap for the whole run, whichever projects it includes.
    maxWorkers: 2,
    // No globalSetup here: the root config's globalSetup runs whichever projects are selected,
    // and it creates databases. Only the integration project has it.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Pure modules, no child processes or services: threads start faster than forks.
          pool: 'threads',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**'],
          globalSetup: ['test/support/global-setup.ts'],
          // Each file has its own database and Redis prefix, so files run in parallel; two cores.
          maxWorkers: 2,
          pool: 'forks',
        },
      },
    ],
  },
});
