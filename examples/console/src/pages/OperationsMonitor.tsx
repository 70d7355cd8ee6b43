// The operations monitor: runs filtered by status, type, tenant and initiator (kept in the URL, so
// `/operations?tenant=<id>` links work), paged by cursor, updated live by operationRunUpdated.
import { useEffect, useState } from 'react';
import { type CombinedError, useClient, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type {
  ConsoleOperationRunsQuery,
  OperationRunFilter,
  OperationRunStatus,
  OperationType,
  RunRowFieldsFragment,
} from '../gql/graphql';
import { Link } from '../router';
import { apiMessage } from '../starts';

const PAGE = 20;

const STATUSES: OperationRunStatus[] = [
  'QUEUED',
  'RUNNING',
  'SUCCEEDED',
  'PARTIALLY_SUCCEEDED',
  'FAILED',
  'BLOCKED',
  'CANCELLED',
];

graphql(`
  fragment RunRowFields on OperationRun {
    id label type status createdAt finishedAt url
    tenant { id name }
    parent { id }
    initiator { id }
    summary { total succeeded failed skipped }
  }
`);

const RunsQuery = graphql(`
  query ConsoleOperationRuns($filter: OperationRunFilter, $first: Int!, $after: String) {
    operationRuns(filter: $filter, first: $first, after: $after) {
      edges { node { ...RunRowFields } }
      pageInfo { endCursor hasNextPage }
    }
  }
`);

const FilterChoices = graphql(`
  query ConsoleMonitorFilterChoices {
    me { id }
    tenants { id name }
    operationTypes { type label }
  }
`);

const RunUpdated = graphql(`
  subscription ConsoleOperationRunUpdated($tenantId: ID, $after: ID) {
    operationRunUpdated(tenantId: $tenantId, after: $after) { changeId ...RunRowFields }
  }
`);

type Filters = { tenant: string; statuses: OperationRunStatus[]; type: OperationType | ''; mine: boolean };
type PageInfo = ConsoleOperationRunsQuery['operationRuns']['pageInfo'];

function filtersFromUrl(search: string): Filters {
  const params = new URLSearchParams(search);
  const statuses = (params.get('status') ?? '').split(',');
  const type = params.get('type') ?? '';
  return {
    tenant: params.get('tenant') ?? '',
    statuses: STATUSES.filter((status) => statuses.includes(status)),
    // Checked by the API: an unknown type answers a validation error, shown as the table's error.
    type: /^[A-Z_]+$/.test(type) ? (type as OperationType) : '',
    mine: params.get('mine') === '1',
  };
}

function filtersToUrl(filters: Filters): string {
  const params = new URLSearchParams();
  if (filters.tenant) params.set('tenant', filters.tenant);
  if (filters.statuses.length) params.set('status', filters.statuses.join(','));
  if (filters.type) params.set('type', filters.type);
  if (filters.mine) params.set('mine', '1');
  const query = params.toString();
  return query ? `?${query}` : '';
}

function apiFilter(filters: Filters): OperationRunFilter {
  return {
    tenantId: filters.tenant || undefined,
    status: filters.statuses.length ? filters.statuses : undefined,
    type: filters.type ? [filters.type] : undefined,
    initiatedByMe: filters.mine || undefined,
  };
}

/** The API's filter, applied to a run that arrived live (steps are listed under their bootstrap, not here). */
function matches(run: RunRowFieldsFragment, filters: Filters, meId: string | undefined): boolean {
  return (
    !run.parent &&
    (!filters.tenant || run.tenant.id === filters.tenant) &&
    (!filters.statuses.length || filters.statuses.includes(run.status)) &&
    (!filters.type || run.type === filters.type) &&
    (!filters.mine || (meId !== undefined && run.initiator?.id === meId))
  );
}

export function OperationsMonitor() {
  const [filters, setFilters] = useState(() => filtersFromUrl(window.location.search));
  const [{ data: choices, error: choicesError }] = useQuery({ query: FilterChoices });
  // A link to /operations?tenant=... while the monitor is open changes only the query string.
  useEffect(() => {
    const onPop = () => setFilters(filtersFromUrl(window.location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const change = (next: Partial<Filters>) => {
    const updated = { ...filters, ...next };
    window.history.replaceState(null, '', `${window.location.pathname}${filtersToUrl(updated)}`);
    setFilters(updated);
  };
  const active = filtersToUrl(filters) !== '';
  return (
    <>
      <h1>Operations</h1>
      <form aria-label="Run filters" onSubmit={(event) => event.preventDefault()}>
        <fieldset>
          <legend>Status</legend>
          {STATUSES.map((status) => (
            <label key={status} style={{ marginRight: '0.75rem' }}>
              <input
                type="checkbox"
                checked={filters.statuses.includes(status)}
                onChange={(event) =>
                  change({
                    statuses: event.target.checked
                      ? STATUSES.filter((s) => s === status || filters.statuses.includes(s))
                      : filters.statuses.filter((s) => s !== status),
                  })
                }
              />{' '}
              {status}
            </label>
          ))}
        </fieldset>
        {/* Labels by id, not wrapping: a select's name must not include its options' text. */}
        <label htmlFor="filter-type">Type</label>{' '}
        <select
          id="filter-type"
          value={filters.type}
          onChange={(event) => change({ type: event.target.value as Filters['type'] })}
        >
          <option value="">All types</option>
          {!choices && filters.type && <option value={filters.type}>Selected type</option>}
          {choices?.operationTypes.map(({ type, label }) => (
            <option key={type} value={type}>
              {label}
            </option>
          ))}
        </select>{' '}
        <label htmlFor="filter-tenant">Tenant</label>{' '}
        <select id="filter-tenant" value={filters.tenant} onChange={(event) => change({ tenant: event.target.value })}>
          <option value="">All tenants</option>
          {/* A tenant from the URL stays selectable while the list loads. */}
          {!choices && filters.tenant && <option value={filters.tenant}>Selected tenant</option>}
          {choices?.tenants.map((tenant) => (
            <option key={tenant.id} value={tenant.id}>
              {tenant.name}
            </option>
          ))}
        </select>{' '}
        <label>
          <input type="checkbox" checked={filters.mine} onChange={(event) => change({ mine: event.target.checked })} />{' '}
          Only runs I started
        </label>{' '}
        <button
          type="button"
          disabled={!active}
          onClick={() => change({ tenant: '', statuses: [], type: '', mine: false })}
        >
          Clear filters
        </button>
      </form>
      {choicesError && <p role="alert">Could not load the tenants to filter by: {apiMessage(choicesError)}</p>}
      {/* A new filter starts afresh: its own first page, its own live subscription, no stale updates. */}
      <RunsTable key={filtersToUrl(filters)} filters={filters} meId={choices?.me.id} />
    </>
  );
}

/** Every update seen since the table mounted, newest last; they win over the listed rows. */
const collect = (seen: RunRowFieldsFragment[] = [], event: { operationRunUpdated: RunRowFieldsFragment }) => [
  ...seen.filter((run) => run.id !== event.operationRunUpdated.id),
  event.operationRunUpdated,
];

function RunsTable({ filters, meId }: { filters: Filters; meId: string | undefined }) {
  const filter = apiFilter(filters);
  const [{ data, fetching, error }] = useQuery({ query: RunsQuery, variables: { filter, first: PAGE } });
  const [live] = useSubscription({ query: RunUpdated, variables: { tenantId: filters.tenant || undefined } }, collect);
  const more = useMorePages(filter, data?.operationRuns.pageInfo);

  if (error) return <p role="alert">Could not load runs: {apiMessage(error)}</p>;
  if (!data) return <p>{fetching ? 'Loading runs…' : 'No data.'}</p>;
  const listed = uniqueById([...data.operationRuns.edges.map((edge) => edge.node), ...more.rows]);
  const rows = withLiveUpdates(listed, live.data ?? [], more.pageInfo.hasNextPage).filter(
    (run) => !live.data?.some((update) => update.id === run.id) || matches(run, filters, meId),
  );
  const active = filtersToUrl(filters) !== '';
  return (
    <>
      {live.error && <p role="alert">Live updates lost: {apiMessage(live.error)}</p>}
      {rows.length === 0 ? (
        <p>{active ? 'No runs match these filters.' : 'No runs yet.'}</p>
      ) : (
        <table aria-label="Operation runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Tenant</th>
              <th>Status</th>
              <th>Summary</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((run) => (
              <tr key={run.id} data-run-id={run.id}>
                <td>
                  <Link to={`/operations/runs/${run.id}`}>{run.label}</Link>
                </td>
                <td data-testid="run-tenant">{run.tenant.name}</td>
                <td data-testid="run-status">{run.status}</td>
                <td>
                  {run.summary.succeeded}/{run.summary.total} succeeded, {run.summary.failed} failed
                </td>
                <td>{run.createdAt}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more.pageInfo.hasNextPage && (
        <button type="button" disabled={more.loading} aria-busy={more.loading} onClick={more.load}>
          Load more
        </button>
      )}
      {more.error && <p role="alert">Could not load more runs: {apiMessage(more.error)}</p>}
    </>
  );
}

/** The pages after the first, fetched by `load` from the last page's endCursor. */
function useMorePages(filter: OperationRunFilter, firstPage: PageInfo | undefined) {
  const client = useClient();
  const [rows, setRows] = useState<RunRowFieldsFragment[]>([]);
  const [last, setLast] = useState<PageInfo | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<CombinedError | undefined>();
  const pageInfo = last ?? firstPage ?? { endCursor: null, hasNextPage: false };
  const load = async () => {
    setLoading(true);
    const result = await client
      .query(RunsQuery, { filter, first: PAGE, after: pageInfo.endCursor }, { requestPolicy: 'network-only' })
      .toPromise();
    setLoading(false);
    setError(result.error);
    if (!result.data) return;
    const page = result.data.operationRuns;
    setRows((all) => [...all, ...page.edges.map((edge) => edge.node)]);
    setLast(page.pageInfo);
  };
  return { rows, pageInfo, loading, error, load };
}

/**
 * Listed rows replaced by their latest update, and runs first seen live on top (newest first);
 * a live run older than the loaded pages waits for "Load more" instead of jumping to the top.
 */
function withLiveUpdates(listed: RunRowFieldsFragment[], updates: RunRowFieldsFragment[], hasNextPage: boolean) {
  const oldest = listed.at(-1)?.createdAt ?? '';
  const fresh = updates
    .filter((run) => !listed.some((row) => row.id === run.id))
    .filter((run) => !hasNextPage || run.createdAt >= oldest)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return [...fresh, ...listed.map((row) => updates.find((run) => run.id === row.id) ?? row)];
}

function uniqueById(runs: RunRowFieldsFragment[]) {
  return runs.filter((run, index) => runs.findIndex((other) => other.id === run.id) === index);
}
