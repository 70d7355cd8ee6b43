// Run control: cancelOperationRun (docs/behaviour.md#cancelling-a-run). Parse, call RunControl, present.
import { requireViewer } from '../../auth/viewer.js';
import { type CancelResultShape, presentCancel } from '../../runs/run-control.js';
import { builder } from '../builder.js';
import { OperationRunRef } from './runs.js';

type Shape<N extends CancelResultShape['__typename']> = CancelResultShape & { __typename: N };

const CancelOutcomeRef = builder.interfaceRef<CancelResultShape>('CancelOutcome').implement({
  resolveType: (v) => v.__typename,
  fields: (t) => ({
    message: t.exposeString('message'),
    run: t.field({
      type: OperationRunRef,
      description: 'The run the cancel applies to (for a bootstrap step: its bootstrap)',
      resolve: (r) => r.run,
    }),
  }),
});

const RunCancelled = builder.objectRef<Shape<'RunCancelled'>>('RunCancelled').implement({
  description: 'The run was QUEUED: it is now CANCELLED and never reaches the provider.',
  interfaces: [CancelOutcomeRef],
});
const CancelRequested = builder.objectRef<Shape<'CancelRequested'>>('CancelRequested').implement({
  description: 'The run is RUNNING: it stops at its next safe point and then ends CANCELLED.',
  interfaces: [CancelOutcomeRef],
});
const RunAlreadyFinished = builder.objectRef<Shape<'RunAlreadyFinished'>>('RunAlreadyFinished').implement({
  description: 'The run had already ended (BLOCKED included): nothing changed.',
  interfaces: [CancelOutcomeRef],
});

const CancelResult = builder.unionType('CancelResult', {
  types: [RunCancelled, CancelRequested, RunAlreadyFinished],
  resolveType: (v) => v.__typename,
});

builder.mutationField('cancelOperationRun', (t) =>
  t.field({
    type: CancelResult,
    description: 'Cancels a queued or running run (a bootstrap step: its bootstrap).',
    args: { runId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const { runControl, metrics } = ctx.services;
      try {
        const answer = presentCancel(await runControl.cancel(requireViewer(ctx.viewer), String(args.runId)));
        metrics.cancels.inc({ answer: answer.__typename });
        return answer;
      } catch (err) {
        const code = (err as { extensions?: { code?: unknown } }).extensions?.code;
        metrics.cancels.inc({ answer: typeof code === 'string' ? code : 'INTERNAL_ERROR' });
        throw err;
      }
    },
  }),
);
