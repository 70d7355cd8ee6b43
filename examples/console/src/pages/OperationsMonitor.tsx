// The operations monitor: runs filtered by status, type, tenant and initiator (kept in the URL, so
// `/operations?tenant=<id>` links work), paged by cursor, updated live by operationRunUpdated.
import { Button, Checkbox, Group, NativeSelect, Paper, Stack, Table, Text, Title } from '@mantine/core';
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
import { RUN_STATUS, RunStatus, Time, Scrollable } from '../ui';

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
    <Stack>
      <Title order={1}>Operations</Title>
      <Paper withBorder p="sm" component="form" aria-label="Run filters" onSubmit={(event) => event.preventDefault()}>
        <Stack gap="sm">
          <Checkbox.Group
            label="Status"
            value={filters.statuses}
            onChange={(values) =>
              change({ statuses: STATUSES.filter((s) => values.includes(s)) as OperationRunStatus[] })
            }
          >
            <Group gap="md" mt={4}>
              {STATUSES.map((status) => (
                <Checkbox key={status} value={status} label={RUN_STATUS[status].label} size="sm" />
              ))}
            </Group>
          </Checkbox.Group>
          <Group gap="md" align="end" wrap="wrap">
            <NativeSelect
              id="filter-type"
              label="Type"
              value={filters.type}
              onChange={(event) => change({ type: event.currentTarget.value as Filters['type'] })}
              data={[
                { value: '', label: 'All types' },
                ...(!choices && filters.type ? [{ value: filters.type, label: 'Selected type' }] : []),
                ...(choices?.operationTypes.map(({ type, label }) => ({ value: type, label })) ?? []),
              ]}
            />
            <NativeSelect
              id="filter-tenant"
              label="Tenant"
              value={filters.tenant}
              onChange={(event) => change({ tenant: event.currentTarget.value })}
              data={[
                { value: '', label: 'All tenants' },
                // A tenant from the URL stays selectable while the list loads.
                ...(!choices && filters.tenant ? [{ value: filters.tenant, label: 'Selected tenant' }] : []),
                ...(choices?.tenants.map((tenant) => ({ value: tenant.id, label: tenant.name })) ?? []),
              ]}
            />
            <Checkbox
              label="Only runs I started"
              checked={filters.mine}
              onChange={(event) => change({ mine: event.currentTarget.checked })}
              mb={8}
            />
            <Button
              variant="default"
              disabled={!active}
              onClick={() => change({ tenant: '', statuses: [], type: '', mine: false })}
            >
              Clear filters
            </Button>
          </Group>
        </Stack>
      </Paper>
      {choicesError && <p role="alert">Could not load the tenants to filter by: {apiMessage(choicesError)}</p>}
      {/* A new filter starts afresh: its own first page, its own live subscription, no stale updates. */}
      <RunsTable key={filtersToUrl(filters)} filters={filters} meId={choices?.me.id} />
    </Stack>
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
      {live.error && <Text role="alert">Live updates lost: {apiMessage(live.error)}</Text>}
      {rows.length === 0 ? (
        <Text>{active ? 'No runs match these filters.' : 'No runs yet.'}</Text>
      ) : (
        <Scrollable minWidth={640} label="Runs table">
          <Table aria-label="Operation runs" highlightOnHover verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Run</Table.Th>
                <Table.Th>Tenant</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Summary</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((run) => (
                <Table.Tr key={run.id} data-run-id={run.id}>
                  <Table.Td>
                    <Link to={`/operations/runs/${run.id}`}>{run.label}</Link>
                  </Table.Td>
                  <Table.Td data-testid="run-tenant">{run.tenant.name}</Table.Td>
                  <Table.Td>
                    <RunStatus status={run.status} testId="run-status" />
                  </Table.Td>
                  <Table.Td>
                    {run.summary.succeeded}/{run.summary.total} succeeded, {run.summary.failed} failed
                  </Table.Td>
                  <Table.Td>
                    <Time value={run.createdAt} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Scrollable>
      )}
      {more.pageInfo.hasNextPage && (
        <Group>
          <Button variant="default" loading={more.loading} aria-busy={more.loading} onClick={more.load}>
            Load more
          </Button>
        </Group>
      )}
      {more.error && <Text role="alert">Could not load more runs: {apiMessage(more.error)}</Text>}
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
