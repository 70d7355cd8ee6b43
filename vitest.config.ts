import { configDefaults, defineConfig } from 'vitest/config';

// Three lanes. `unit` (test/unit) needs neither PostgreSQL nor Redis: `npm run test:unit` runs it
// alone (`vitest run --project unit`). `integration` is everything else, against the real services.
// `cluster` runs the Redis Cluster suites and the contract's suites again on a private cluster.
// `vitest run` with no --project runs all three.
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
          exclude: [...configDefaults.exclude, 'test/unit/**', 'test/cluster/**'],
          globalSetup: ['test/support/global-setup.ts'],
          // Each file has its own database and Redis prefix, so files run in parallel; two cores.
          maxWorkers: 2,
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          // The same contract on a Redis Cluster: a private 3-master cluster for the run
          // (test/support/cluster-setup.ts), REDIS_CLUSTER_NODES in every world and spawned process.
          // `npm run test:cluster` runs this lane alone (`vitest run --project cluster`).
          name: 'cluster',
          include: [
            'test/cluster/**/*.test.ts',
            'test/integration/gate.test.ts',
            'test/integration/workers.test.ts',
            'test/integration/run-family.test.ts',
            'test/integration/cancellation.test.ts',
            'test/e2e/cancellation.test.ts',
            'test/integration/schedules.test.ts',
            'test/e2e/realtime.test.ts',
            'test/integration/subscription-groups.test.ts',
            'test/integration/preview-subscription.test.ts',
            'test/integration/resume.test.ts',
            'test/integration/monitoring.test.ts',
            'test/integration/rate-limit.test.ts',
            'test/e2e/schedules.test.ts',
            // Not test/e2e/worker-kill: once, under the whole suite's load, its SIGTERM case saw the
            // worker exit 0 within a second with its run still RUNNING (not reproduced alone in 5
            // runs; recovered as a stalled job either way). Until that is understood it runs on the
            // single node only.
            'test/e2e/topology.test.ts',
            'test/e2e/contract-processes.test.ts',
            'test/e2e/slow-consumer.test.ts',
          ],
          globalSetup: ['test/support/global-setup.ts', 'test/support/cluster-setup.ts'],
          maxWorkers: 2,
          pool: 'forks',
        },
      },
    ],
  },
});
