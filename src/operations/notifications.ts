// The wording of a run's terminal notification, next to the reason catalogue it quotes.
import type { OperationRun } from '../generated/prisma/client.js';
import { operation } from './catalogue.js';
import { capitalize } from './reasons.js';
import type { TerminalStatus } from './status.js';

const ENDED_WORDS: Record<TerminalStatus, string> = {
  SUCCEEDED: 'succeeded',
  PARTIALLY_SUCCEEDED: 'partially succeeded',
  FAILED: 'failed',
  CANCELLED: 'was cancelled',
};

type Ended = Pick<OperationRun, 'type' | 'status' | 'total' | 'succeeded' | 'failed' | 'skipped' | 'reasonMessage'>;

/**
 * Every title names the operation and the tenant: "Group sync on Alpine succeeded"; the body adds
 * the counts, in steps for an operation made of steps: "... 29 of 29 items succeeded. <link>";
 * a cancelled run's title names who cancelled it: "Group sync on Alpine was cancelled by Mateo Manager".
 */
export function notificationText(
  run: Ended,
  tenantName: string,
  link: string,
  canceller?: string | null,
): { title: string; body: string } {
  const { label, steps } = operation(run.type);
  const unit = steps ? 'steps' : 'items';
  const ended = ENDED_WORDS[run.status as TerminalStatus];
  if (run.status === 'CANCELLED' && canceller) {
    const counts = run.total > 0 ? ` ${run.succeeded} of ${run.total} ${unit} were done by then.` : '';
    return {
      title: `${label} on ${tenantName} was cancelled by ${canceller}`,
      body: `${label} on ${tenantName} was cancelled by ${canceller}.${counts} ${link}`,
    };
  }
  const counts =
    run.total > 0
      ? ` ${run.succeeded} of ${run.total} ${unit} succeeded${run.failed ? `, ${run.failed} failed` : ''}${run.skipped ? `, ${run.skipped} skipped` : ''}.`
      : '';
  const why = run.reasonMessage ? ` ${capitalize(run.reasonMessage)}.` : '';
  return {
    title: `${label} on ${tenantName} ${ended}`,
    body: `${label} on ${tenantName} ${ended}.${counts}${why} ${link}`,
  };
}
