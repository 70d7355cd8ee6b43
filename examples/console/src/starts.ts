// Every start mutation behind one function: `useStart()(type, target)` sends the start of that
// operation type and answers its StartResult (the shared presenter shows it).
import { type CombinedError, useMutation } from 'urql';
import { graphql } from './gql';
import type { ConsoleStartResultFragment, OperationType } from './gql/graphql';

const StartDirectorySync = graphql(`
  mutation ConsoleStartDirectorySync($tenantId: ID!, $kind: DirectorySyncKind!, $providerConnectionId: ID) {
    startDirectorySync(tenantId: $tenantId, kind: $kind, providerConnectionId: $providerConnectionId) {
      ...ConsoleStartResult
    }
  }
`);
const StartVerification = graphql(`
  mutation ConsoleStartVerification($tenantId: ID!, $providerConnectionId: ID) {
    startTenantVerification(tenantId: $tenantId, providerConnectionId: $providerConnectionId) { ...ConsoleStartResult }
  }
`);
const StartBootstrap = graphql(`
  mutation ConsoleStartBootstrap($tenantId: ID!, $providerConnectionId: ID) {
    startOnboardingBootstrap(tenantId: $tenantId, providerConnectionId: $providerConnectionId) { ...ConsoleStartResult }
  }
`);
const StartRestore = graphql(`
  mutation ConsoleStartRestore($restoreRunId: ID!, $providerConnectionId: ID) {
    startRestore(restoreRunId: $restoreRunId, providerConnectionId: $providerConnectionId) { ...ConsoleStartResult }
  }
`);
const StartConnectionCheck = graphql(`
  mutation ConsoleStartConnectionCheck($providerConnectionId: ID!) {
    startProviderConnectionCheck(providerConnectionId: $providerConnectionId) { ...ConsoleStartResult }
  }
`);

/** What a start targets: the tenant, the restore run, or the connection (pinned when given). */
export type StartTarget = { tenantId: string; restoreRunId?: string; providerConnectionId?: string };

export type Started = { result?: ConsoleStartResultFragment; error?: string };

export function useStart(): (type: OperationType, target: StartTarget) => Promise<Started> {
  const [, sync] = useMutation(StartDirectorySync);
  const [, verify] = useMutation(StartVerification);
  const [, bootstrap] = useMutation(StartBootstrap);
  const [, restore] = useMutation(StartRestore);
  const [, check] = useMutation(StartConnectionCheck);
  return async (type, { tenantId, restoreRunId, providerConnectionId }) => {
    const answer = async () => {
      switch (type) {
        case 'DIRECTORY_GROUPS_SYNC':
        case 'ROLE_DEFINITIONS_SYNC': {
          const kind = type === 'DIRECTORY_GROUPS_SYNC' ? 'GROUPS' : 'ROLE_DEFINITIONS';
          const { data, error } = await sync({ tenantId, kind, providerConnectionId });
          return { result: data?.startDirectorySync, error };
        }
        case 'TENANT_VERIFICATION': {
          const { data, error } = await verify({ tenantId, providerConnectionId });
          return { result: data?.startTenantVerification, error };
        }
        case 'ONBOARDING_BOOTSTRAP': {
          const { data, error } = await bootstrap({ tenantId, providerConnectionId });
          return { result: data?.startOnboardingBootstrap, error };
        }
        case 'RESTORE_EXECUTE': {
          const { data, error } = await restore({ restoreRunId: restoreRunId ?? '', providerConnectionId });
          return { result: data?.startRestore, error };
        }
        case 'PROVIDER_CONNECTION_CHECK': {
          const { data, error } = await check({ providerConnectionId: providerConnectionId ?? '' });
          return { result: data?.startProviderConnectionCheck, error };
        }
      }
    };
    const { result, error } = await answer();
    return { result, error: error ? apiMessage(error) : undefined };
  };
}

/** The API's own words for a failed request (its GraphQL errors' messages: BAD_USER_INPUT, FORBIDDEN, ...), or that it is unreachable. */
export function apiMessage(error: CombinedError): string {
  return error.graphQLErrors.length
    ? error.graphQLErrors.map((e) => e.message).join(' ')
    : 'The API could not be reached; try again.';
}
