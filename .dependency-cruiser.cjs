// Layering rules, checked by `npm run lint:deps` (part of `npm test`). See README "Layout".
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules under src/ form no import cycle (type-only imports included).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'operations-stand-alone',
      severity: 'error',
      comment: 'The operation and reason catalogues import no other product folder: every layer may depend on them.',
      from: { path: '^src/operations/' },
      to: { path: '^src/', pathNot: ['^src/operations/', '^src/generated/'] },
    },
    {
      name: 'metrics-is-a-leaf',
      severity: 'error',
      comment:
        'src/metrics/ (registry, recorders, samplers) is wired in by app.ts, main.ts and the edges (resolvers, server); it reaches into no service, so anything may report to it.',
      from: { path: '^src/metrics/' },
      to: {
        path: '^src/',
        pathNot: [
          '^src/metrics/',
          '^src/operations/',
          '^src/generated/',
          '^src/runs/events\\.ts$',
          '^src/logger\\.ts$',
          // The one 'service unavailable' classifier: a pure function that imports nothing.
          '^src/db/unavailable\\.ts$',
        ],
      },
    },
    {
      name: 'gate-imports-no-handler',
      severity: 'error',
      comment: "The gate decides starts; what a worker runs is the jobs layer's business.",
      from: { path: '^src/gate/' },
      to: { path: '^src/jobs/(handlers/|executor|worker|reconciler)' },
    },
    {
      name: 'handlers-do-not-reach-runs',
      severity: 'error',
      comment: 'Only src/runs/ (RunLifecycle) writes run rows: handlers return outcomes and never import it.',
      from: { path: '^src/jobs/handlers/' },
      to: { path: '^src/(runs|gate)/' },
    },
    {
      name: 'only-jobs-touch-bullmq',
      severity: 'error',
      comment:
        'Only the dispatcher enqueues jobs, only the schedule triggers touch job schedulers, and only the worker adapter processes them.',
      from: { path: '^src/', pathNot: '^src/jobs/(dispatch|schedulers|worker)\\.ts$' },
      to: { path: 'node_modules/bullmq/' },
    },
    {
      name: 'src-is-self-contained',
      severity: 'error',
      comment: 'Nothing under src/ imports prisma/ (scripts), test/, bench/ or scripts/.',
      from: { path: '^src/' },
      to: { path: '^(prisma|test|bench|scripts)/' },
    },
    {
      name: 'no-composition-root-below',
      severity: 'error',
      comment: 'src/app.ts wires everything; nothing it wires imports it back for values (types are fine).',
      from: { path: '^src/(gate|jobs|runs|providers|realtime|auth|db|operations|seed|metrics)/' },
      to: { path: '^src/app\\.ts$', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
    moduleSystems: ['es6'],
  },
};
