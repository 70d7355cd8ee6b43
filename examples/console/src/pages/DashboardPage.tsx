// The dashboard: runs per hour by status over the last 24 hours (stacked), the most frequent failure
// and block reasons, and what is in flight per operation type, for the workspace or one tenant.
// One aggregate query (operationRunStats, computed by the API's database), read again at most every
// two seconds while run events arrive: it never fetches runs to count them.
import { BarChart } from '@mantine/charts';
import { Card, Group, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { OperationRunStatus } from '../gql/graphql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { apiMessage } from '../starts';
import { RUN_STATUS, RunStatus } from '../ui';

const StatsQuery = graphql(`
  query ConsoleRunStats($filter: OperationRunFilter) {
    operationRunStats(filter: $filter, bucket: HOUR) {
      since until
      buckets { start total counts { status count } }
      totals { status count }
      topReasons { status code message count }
      inFlight { type label count }
    }
  }
`);

const DashboardTenants = graphql(`
  query ConsoleDashboardTenants {
    tenants { id name }
  }
`);

const ORDER: OperationRunStatus[] = [
  'SUCCEEDED',
  'PARTIALLY_SUCCEEDED',
  'FAILED',
  'BLOCKED',
  'CANCELLED',
  'RUNNING',
  'QUEUED',
];
const COLOR: Record<OperationRunStatus, string> = {
  SUCCEEDED: 'green.6',
  PARTIALLY_SUCCEEDED: 'yellow.5',
  FAILED: 'red.6',
  BLOCKED: 'orange.5',
  CANCELLED: 'gray.6',
  RUNNING: 'blue.5',
  QUEUED: 'indigo.3',
};
const HOUR = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const REFRESH_MS = 2_000;

export function DashboardPage() {
  const [tenantId, setTenantId] = useState<string | null>(null);
  const [{ data: tenants }] = useQuery({ query: DashboardTenants });
  const filter = useMemo(() => (tenantId ? { tenantId } : {}), [tenantId]);
  const [{ data, error, fetching }, refetch] = useQuery({ query: StatsQuery, variables: { filter } });
  useThrottledRunEvents(tenantId, () => refetch({ requestPolicy: 'network-only' }));
  const stats = data?.operationRunStats;
  const chart = useMemo(
    () =>
      (stats?.buckets ?? []).map((bucket) => ({
        hour: HOUR.format(new Date(bucket.start)),
        ...Object.fromEntries(ORDER.map((status) => [RUN_STATUS[status].label, 0])),
        ...Object.fromEntries(bucket.counts.map((c) => [RUN_STATUS[c.status].label, c.count])),
      })),
    [stats],
  );
  const totalCount = (stats?.totals ?? []).reduce((sum, t) => sum + t.count, 0);
  return (
    <Stack>
      <Group justify="space-between" align="end">
        <Title order={1}>Dashboard</Title>
        <Select
          label="Scope"
          data={[
            { value: '', label: 'All tenants' },
            ...(tenants?.tenants ?? []).map((t) => ({ value: t.id, label: t.name })),
          ]}
          value={tenantId ?? ''}
          onChange={(value) => setTenantId(value || null)}
          allowDeselect={false}
          w={220}
        />
      </Group>
      {error && (
        <Text role="alert" c="red">
          Could not load the numbers: {apiMessage(error)}
        </Text>
      )}
      {!stats ? (
        <Text>{fetching ? 'Loading…' : 'No data.'}</Text>
      ) : (
        <>
          <SimpleGrid cols={{ base: 2, sm: 4 }} aria-label="Totals of the last 24 hours" component="section">
            <Metric label="Runs (24 h)" value={totalCount} testId="total-runs" />
            {(['SUCCEEDED', 'FAILED', 'BLOCKED'] as const).map((status) => (
              <Metric
                key={status}
                label={RUN_STATUS[status].label}
                value={stats.totals.find((t) => t.status === status)?.count ?? 0}
                testId={`total-${status}`}
              />
            ))}
          </SimpleGrid>
          <Card withBorder component="section" aria-label="Runs per hour">
            <Title order={2} size="h4" mb="sm">
              Runs per hour by status
            </Title>
            <BarChart
              h={260}
              data={chart}
              dataKey="hour"
              type="stacked"
              withLegend
              legendProps={{ verticalAlign: 'bottom' }}
              series={ORDER.map((status) => ({ name: RUN_STATUS[status].label, color: COLOR[status] }))}
              tickLine="y"
              gridAxis="y"
            />
          </Card>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder component="section" aria-label="In flight">
              <Title order={2} size="h4" mb="sm">
                In flight now
              </Title>
              {stats.inFlight.length === 0 ? (
                <Text c="dimmed">Nothing queued or running.</Text>
              ) : (
                <Table aria-label="Runs in flight by type">
                  <Table.Tbody>
                    {stats.inFlight.map((row) => (
                      <Table.Tr key={row.type}>
                        <Table.Th scope="row">{row.label}</Table.Th>
                        <Table.Td data-testid={`in-flight-${row.type}`} ta="right">
                          {row.count}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
              <Text size="sm" mt="sm">
                <Link to={`/operations?status=QUEUED,RUNNING${tenantId ? `&tenant=${tenantId}` : ''}`}>
                  Open them in the monitor
                </Link>
              </Text>
            </Card>
            <Card withBorder component="section" aria-label="Top failure and block reasons">
              <Title order={2} size="h4" mb="sm">
                Top failure and block reasons
              </Title>
              {stats.topReasons.length === 0 ? (
                <Text c="dimmed">No failed or blocked runs in the last 24 hours.</Text>
              ) : (
                <Table aria-label="Reasons">
                  <Table.Tbody>
                    {stats.topReasons.map((reason) => (
                      <Table.Tr key={`${reason.status}-${reason.code}`} data-reason={reason.code}>
                        <Table.Td>
                          <RunStatus status={reason.status} />
                        </Table.Td>
                        <Table.Td>{reason.message}</Table.Td>
                        <Table.Td data-testid={`reason-${reason.code}`} ta="right">
                          {reason.count}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Card>
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}

function Metric({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz={28} fw={700} data-testid={testId}>
        {value}
      </Text>
    </Card>
  );
}

/** Calls `refresh` after run events, at most once per REFRESH_MS (a burst of events is one read). */
function useThrottledRunEvents(tenantId: string | null, refresh: () => void) {
  const latest = useRef(refresh);
  latest.current = refresh;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  useRunEvents(tenantId ? { tenantId } : {}, () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, REFRESH_MS);
  });
}
