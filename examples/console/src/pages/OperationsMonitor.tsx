// The operations monitor: runs filtered by status, type, tenant and initiator (kept in the URL, so
// `/operations?tenant=<id>` links work), paged by cursor, updated live by operationRunUpdated.
import { Button, Checkbox, Group, NativeSelect, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { type CombinedError, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type { OperationRunFilter, OperationRunStatus, OperationType } from '../gql/graphql';
import { Link } from '../router';
import { matchesFilter, RunsQuery } from '../runs-cache';
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

/**
 * The runs: the first page and each page "Load more" added, every one its own query, so each row is
 * the normalized cache's run and changes in place when its events arrive (runs-cache.ts); a new run
 * that matches is inserted into the first page. Nothing is read again while runs progress.
 */
function RunsTable({ filters, meId }: { filters: Filters; meId: string | undefined }) {
  const filter = apiFilter(filters);
  // Kept open for its effect on the cache (rows update and new runs are inserted there).
  const [live] = useSubscription({ query: RunUpdated, variables: { tenantId: filters.tenant || undefined } });
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [pages, setPages] = useState<Record<number, PageState>>({});
  const report = useCallback((index: number, page: PageState) => setPages((all) => ({ ...all, [index]: page })), []);
  const first = pages[0];
  const last = pages[cursors.length - 1];
  const loading = cursors.some((_, i) => !pages[i]?.loaded);
  const active = filtersToUrl(filters) !== '';
  const rows = cursors.reduce((n, _, i) => n + (pages[i]?.rows ?? 0), 0);
  return (
    <>
      {live.error && <Text role="alert">Live updates lost: {apiMessage(live.error)}</Text>}
      {first?.error && <Text role="alert">Could not load runs: {apiMessage(first.error)}</Text>}
      {!first?.loaded && !first?.error && <Text>Loading runs…</Text>}
      {first?.loaded && rows === 0 && <Text>{active ? 'No runs match these filters.' : 'No runs yet.'}</Text>}
      <Scrollable minWidth={640} label="Runs table">
        <Table aria-label="Operation runs" highlightOnHover verticalSpacing="xs" hidden={!first?.loaded || rows === 0}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Run</Table.Th>
              <Table.Th>Tenant</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Summary</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          {cursors.map((after, index) => (
            <RunsPage
              key={after ?? 'first'}
              index={index}
              filter={filter}
              filters={filters}
              after={after}
              meId={meId}
              onPage={report}
            />
          ))}
        </Table>
      </Scrollable>
      {last?.hasNextPage && last.endCursor && (
        <Group>
          <Button
            variant="default"
            loading={loading}
            aria-busy={loading}
            onClick={() => setCursors((all) => [...all, last.endCursor])}
          >
            Load more
          </Button>
        </Group>
      )}
      {cursors.length > 1 && last?.error && (
        <Text role="alert">Could not load more runs: {apiMessage(last.error)}</Text>
      )}
    </>
  );
}

type PageState = {
  loaded: boolean;
  rows: number;
  hasNextPage: boolean;
  endCursor: string | null;
  error?: CombinedError;
};

/** One page of runs (a tbody), from the normalized cache; a run whose change took it out of the filter leaves. */
function RunsPage({
  index,
  filter,
  filters,
  after,
  meId,
  onPage,
}: {
  index: number;
  filter: OperationRunFilter;
  filters: Filters;
  after: string | null;
  meId: string | undefined;
  onPage: (index: number, page: PageState) => void;
}) {
  const [{ data, error }] = useQuery({ query: RunsQuery, variables: { filter, first: PAGE, after } });
  const runs = (data?.operationRuns.edges ?? [])
    .map((edge) => edge.node)
    .filter((run) => matchesFilter(run, filter, meId) || (filters.mine && meId === undefined));
  const pageInfo = data?.operationRuns.pageInfo;
  useEffect(() => {
    onPage(index, {
      loaded: Boolean(data),
      rows: runs.length,
      hasNextPage: pageInfo?.hasNextPage ?? false,
      endCursor: pageInfo?.endCursor ?? null,
      error,
    });
  }, [index, data, runs.length, pageInfo?.hasNextPage, pageInfo?.endCursor, error, onPage]);
  return (
    <Table.Tbody>
      {runs.map((run) => (
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
  );
}
