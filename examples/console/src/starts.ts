// Every start behind one function: `useStart()(type, target)` sends startOperation for that type,
// naming the target the API's catalogue (Query.operationTypes) says the type starts on, and answers
// its StartResult (the shared presenter shows it). The console keeps no table of types of its own.
import { type CombinedError, useClient, useMutation } from 'urql';
import { graphql } from './gql';
import type { ConsoleStartResultFragment, OperationTarget, OperationType } from './gql/graphql';

const StartOperation = graphql(`
  mutation ConsoleStartOperation($type: OperationType!, $targetId: ID!, $providerConnectionId: ID) {
    startOperation(type: $type, targetId: $targetId, providerConnectionId: $providerConnectionId) {
      ...ConsoleStartResult
    }
  }
`);

/** Which kind of target each type starts on; queried at the first start, then answered from urql's cache. */
const OperationTargets = graphql(`
  query ConsoleOperationTargets {
    operationTypes { type label target }
  }
`);

/** What a start targets: the tenant, the restore run, or the connection (pinned when given). */
export type StartTarget = { tenantId: string; restoreRunId?: string; providerConnectionId?: string };

export type Started = { result?: ConsoleStartResultFragment; error?: string };

/** The id startOperation(targetId:) takes for each target kind (a new kind does not compile without one). */
const TARGET_ID: Record<OperationTarget, (target: StartTarget) => string | undefined> = {
  TENANT: (target) => target.tenantId,
  RESTORE_RUN: (target) => target.restoreRunId,
  PROVIDER_CONNECTION: (target) => target.providerConnectionId,
};

export function useStart(): (type: OperationType, target: StartTarget) => Promise<Started> {
  const client = useClient();
  const [, start] = useMutation(StartOperation);
  return async (type, target) => {
    // Read when clicked (from the cache after the first time), so a button never waits on it to render.
    const types = await client.query(OperationTargets, {}, { requestPolicy: 'cache-first' }).toPromise();
    if (types.error) return { error: apiMessage(types.error) };
    const info = types.data?.operationTypes.find((candidate) => candidate.type === type);
    const kind = info?.target;
    const targetId = kind && TARGET_ID[kind](target);
    if (!kind || !targetId) return { error: `${info?.label ?? type} cannot be started from this page.` };
    // A type that targets a connection names it once, as targetId.
    const pinned = kind === 'PROVIDER_CONNECTION' ? undefined : target.providerConnectionId;
    const { data, error } = await start({ type, targetId, providerConnectionId: pinned });
    return { result: data?.startOperation, error: error ? apiMessage(error) : undefined };
  };
}

/** The API's own words for a failed request (its GraphQL errors' messages: BAD_USER_INPUT, FORBIDDEN, ...), or that it is unreachable. */
export function apiMessage(error: CombinedError): string {
  return error.graphQLErrors.length
    ? error.graphQLErrors.map((e) => e.message).join(' ')
    : 'The API could not be reached; try again.';
}
