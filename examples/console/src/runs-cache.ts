// The console's normalized cache (urql Graphcache): every entity with an id is stored once, so an
// operationRunUpdated event updates that run wherever a page shows it (monitor rows, run pages,
// steps) without reading anything again; a run the monitor's first page does not list yet is
// inserted there in createdAt order when it matches the page's filter. Types without an id are kept
// inside their parent (keys: null).
import { type Cache, cacheExchange, type KeyingConfig } from '@urql/exchange-graphcache';
import { gql } from 'urql';
import { graphql } from './gql';
import schema from './gql/introspection';
import type { OperationRunFilter, RunRowFieldsFragment } from './gql/graphql';

graphql(`
  fragment RunRowFields on OperationRun {
    id label type status createdAt finishedAt url
    tenant { id name }
    parent { id }
    initiator { id }
    summary { total succeeded failed skipped }
  }
`);

/** The monitor's page of runs: the first page (no `after`) is the one live runs are inserted into. */
export const RunsQuery = graphql(`
  query ConsoleOperationRuns($filter: OperationRunFilter, $first: Int!, $after: String) {
    operationRuns(filter: $filter, first: $first, after: $after) {
      edges { cursor node { ...RunRowFields } }
      pageInfo { endCursor hasNextPage }
    }
  }
`);

/** Whether a run belongs in a listing with this filter (steps are listed under their bootstrap). */
export function matchesFilter(run: RunRowFieldsFragment, filter: OperationRunFilter | null | undefined, meId?: string) {
  return (
    !run.parent &&
    (!filter?.tenantId || run.tenant.id === filter.tenantId) &&
    (!filter?.status?.length || filter.status.includes(run.status)) &&
    (!filter?.type?.length || filter.type.includes(run.type)) &&
    (!filter?.initiatedByMe || (meId !== undefined && run.initiator?.id === meId))
  );
}

/** The signed-in user's id, where a query has put `me` in the cache. */
function cachedMeId(cache: Cache): string | undefined {
  const key = cache.resolve('Query', 'me');
  return typeof key === 'string' ? String(cache.resolve(key, 'id')) : undefined;
}

/** Inserts a run that arrived live into each cached first page of operationRuns whose filter it matches. */
function insertRun(run: RunRowFieldsFragment, cache: Cache) {
  const meId = cachedMeId(cache);
  for (const field of cache.inspectFields('Query')) {
    if (field.fieldName !== 'operationRuns' || field.arguments?.after) continue;
    const variables = field.arguments as { filter?: OperationRunFilter; first: number };
    if (!matchesFilter(run, variables.filter, meId)) continue;
    cache.updateQuery({ query: RunsQuery, variables }, (data) => {
      if (!data || data.operationRuns.edges.some((edge) => edge.node.id === run.id)) return data;
      const edges = data.operationRuns.edges;
      const at = edges.findIndex((edge) => edge.node.createdAt <= run.createdAt);
      // Older than every listed row while more pages follow: "Load more" brings it in its place.
      if (at === -1 && data.operationRuns.pageInfo.hasNextPage) return data;
      const edge = { __typename: 'OperationRunEdge' as const, cursor: '', node: run };
      edges.splice(at === -1 ? edges.length : at, 0, edge);
      return data;
    });
  }
}

const NOT_DEFAULT = gql`
  fragment _ on ProviderConnection {
    id
    isDefault
  }
`;

/** A tenant has one default connection: the one just chosen, so its former default is not any more. */
function onlyDefault(chosenId: string, cache: Cache) {
  const chosen = cache.keyOfEntity({ __typename: 'ProviderConnection', id: chosenId });
  const tenants = new Set<string>();
  for (const field of cache.inspectFields('Query')) {
    if (field.fieldName !== 'tenant' && field.fieldName !== 'tenants') continue;
    const value = cache.resolve('Query', field.fieldKey);
    for (const key of Array.isArray(value) ? value : [value]) if (typeof key === 'string') tenants.add(key);
  }
  for (const tenant of tenants) {
    const connections = cache.resolve(tenant, 'providerConnections');
    if (!Array.isArray(connections) || !(connections as unknown[]).includes(chosen)) continue;
    for (const key of connections as unknown[])
      if (typeof key === 'string' && key !== chosen)
        cache.writeFragment(NOT_DEFAULT, { id: String(cache.resolve(key, 'id')), isDefault: false });
  }
}

const EMBEDDED = [
  'BlockReason',
  'CancelRequested',
  'Membership',
  'NextStep',
  'OperationRunConnection',
  'OperationRunEdge',
  'OperationRunReasonCount',
  'OperationRunStats',
  'OperationRunStatsBucket',
  'OperationRunStatusCount',
  'OperationTypeCount',
  'PageInfo',
  'RunAlreadyFinished',
  'RunCancelled',
  'RunReason',
  'RunSummary',
  'ScheduleOutcome',
  'StartAccepted',
  'StartBlocked',
  'StartDeduped',
  'StartPreview',
  'StartScopeBusy',
  'VerificationCheck',
  'VerificationReport',
];

const KEYS: KeyingConfig = {
  ...Object.fromEntries(EMBEDDED.map((type) => [type, () => null])),
  // The catalogue's entries are named by their type.
  OperationTypeInfo: (info) => String(info.type),
};

export const normalizedCache = () =>
  cacheExchange({
    // Which union and interface members a fragment matches (StartResult, StartOutcome, ...).
    schema,
    keys: KEYS,
    updates: {
      Mutation: {
        setDefaultProviderConnection: (result, _args, cache) => {
          const chosen = result.setDefaultProviderConnection as { id?: string } | null;
          if (chosen?.id) onlyDefault(chosen.id, cache);
        },
      },
      Subscription: {
        operationRunUpdated: (result, _args, cache) => {
          const run = result.operationRunUpdated as RunRowFieldsFragment | null;
          // Only events that carry a whole row can be inserted (the monitor's subscription does).
          if (run?.tenant && run.summary && run.label) insertRun(run, cache);
        },
      },
    },
  });
