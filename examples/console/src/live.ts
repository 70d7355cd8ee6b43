// Pages whose data a run changes (a tenant's restore runs, a connection's check, a bootstrap's steps)
// refetch on each operationRunUpdated event of their tenant or run: one live source for them all.
import { useEffect, useRef } from 'react';
import { useSubscription } from 'urql';
import { graphql } from './gql';
import type { ConsoleRunEventsSubscription, ConsoleRunEventsSubscriptionVariables } from './gql/graphql';

const RunEvents = graphql(`
  subscription ConsoleRunEvents($tenantId: ID, $runId: ID) {
    operationRunUpdated(tenantId: $tenantId, runId: $runId) { id status }
  }
`);

/** Calls `onEvent` after each run event (of the tenant, or of the run and its steps). */
export function useRunEvents(variables: { tenantId?: string; runId?: string }, onEvent: () => void) {
  const [live] = useSubscription<ConsoleRunEventsSubscription, number, ConsoleRunEventsSubscriptionVariables>(
    { query: RunEvents, variables },
    (count = 0) => count + 1,
  );
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => {
    if (live.data) latest.current();
  }, [live.data]);
}
