// Pages whose data a run changes (a tenant's restore runs, a connection's check, a bootstrap's steps)
// refetch on each operationRunUpdated event of their tenant or run: one live source for them all.
// After a reconnect it resumes from the newest changeId it delivered (client.ts), so a change made
// meanwhile arrives as an event and the page refetches once.
import { useEffect, useRef } from 'react';
import { type CombinedError, useSubscription } from 'urql';
import { graphql } from './gql';
import type { ConsoleRunEventsSubscription, ConsoleRunEventsSubscriptionVariables } from './gql/graphql';

const RunEvents = graphql(`
  subscription ConsoleRunEvents($tenantId: ID, $runId: ID, $after: ID) {
    operationRunUpdated(tenantId: $tenantId, runId: $runId, after: $after) { id changeId status schedule { id } }
  }
`);

type RunEvent = ConsoleRunEventsSubscription['operationRunUpdated'];

/**
 * Calls `onEvent` after each run event (of the tenant, or of the run and its steps) that `accept`
 * takes (all, by default). Returns the subscription's error once live updates are lost.
 */
export function useRunEvents(
  variables: { tenantId?: string; runId?: string },
  onEvent: () => void,
  accept: (run: RunEvent) => boolean = () => true,
): CombinedError | undefined {
  const [live] = useSubscription<ConsoleRunEventsSubscription, number, ConsoleRunEventsSubscriptionVariables>(
    { query: RunEvents, variables },
    (count = 0, event) => (accept(event.operationRunUpdated) ? count + 1 : count),
  );
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => {
    if (live.data) latest.current();
  }, [live.data]);
  return live.error;
}
