// A tenant's runs (the route "Start it again" leads to): its runs newest first, refreshed on each of
// its run events, with the tenant's and its connections' start buttons, so a run can be started
// again from here. And a run's failed step (the route of a bootstrap's "Open the failed step").
import { Card, DataList, Group, List, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useSubscription } from 'urql';
import { routePath } from '../../../../src/operations/routes';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { NextSteps, StartButton } from '../start-result';
import { CronText, duration, RunStatus, Time, Scrollable } from '../ui';

/** Runs shown here; older ones are in the operations monitor, filtered to the tenant. */
const RUNS = 50;

const TenantRunsQuery = graphql(`
  query ConsoleTenantRuns($tenantId: ID!, $first: Int!) {
    tenant(id: $tenantId) {
      id name
      startPreviews { ...ConsoleStartPreview }
      providerConnections { id displayName startPreviews { ...ConsoleStartPreview } }
    }
    operationRuns(filter: { tenantId: $tenantId }, first: $first) {
      edges {
        node {
          id label status createdAt finishedAt url
          initiator { displayName }
          schedule { id cron }
          reason { message }
        }
      }
      pageInfo { hasNextPage }
    }
  }
`);

const PreviewsChanged = graphql(`
  subscription ConsoleTenantRunsPreviews($tenantId: ID!) {
    startPreviewsChanged(tenantId: $tenantId) { ...ConsoleStartPreview }
  }
`);

export function TenantRunsPage({ tenantId }: { tenantId: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: TenantRunsQuery,
    variables: { tenantId, first: RUNS },
  });
  const [live] = useSubscription({ query: PreviewsChanged, variables: { tenantId } });
  const liveError = useRunEvents({ tenantId }, () => refetch({ requestPolicy: 'network-only' }));
  if (error)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        Could not load the tenant's runs: {error.message}
      </Text>
    );
  if (!data) return <Text>{fetching ? 'Loading runs…' : 'No data.'}</Text>;
  const { tenant } = data;
  if (!tenant)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        No such tenant in your workspaces.
      </Text>
    );
  const previews = live.data?.startPreviewsChanged ?? tenant.startPreviews;
  const runs = data.operationRuns.edges.map((edge) => edge.node);
  const monitor = `${routePath('operations', {})}?tenant=${encodeURIComponent(tenant.id)}`;
  const lost = live.error ?? liveError;
  return (
    <Stack>
      <div>
        <Title order={1}>Runs · {tenant.name}</Title>
        <Group gap="md">
          <Text size="sm">
            <Link to={routePath('tenant', { tenantId: tenant.id })}>Back to {tenant.name}</Link>
          </Text>
          <Text size="sm">
            <Link to={monitor}>Filter them in the operations monitor</Link>
          </Text>
        </Group>
      </div>
      {lost && (
        <Text role="alert" c="var(--mantine-color-red-light-color)">
          Live updates lost: {lost.message}
        </Text>
      )}
      <Card withBorder>
        <Title order={2} size="h3" mb="sm">
          Start
        </Title>
        <List aria-label="Operations" listStyleType="none" spacing="xs">
          {previews.map((preview) => (
            <List.Item key={preview.type}>
              <StartButton preview={preview} target={{ tenantId: tenant.id }} />
            </List.Item>
          ))}
          {tenant.providerConnections.flatMap((connection) =>
            connection.startPreviews.map((preview) => (
              <List.Item key={`${connection.id}-${preview.type}`}>
                <Group gap="xs" align="center">
                  <StartButton
                    preview={preview}
                    target={{ tenantId: tenant.id, providerConnectionId: connection.id }}
                  />
                  <Text size="sm" c="dimmed" span>
                    ({connection.displayName})
                  </Text>
                </Group>
              </List.Item>
            )),
          )}
        </List>
      </Card>
      <Card withBorder padding={0} component="section" aria-labelledby="runs-heading">
        <Title order={2} size="h3" id="runs-heading" p="md" pb={0}>
          Runs
        </Title>
        {runs.length === 0 ? (
          <Text c="dimmed" p="md">
            No runs yet.
          </Text>
        ) : (
          <Scrollable minWidth={900} label="Runs table">
            <Table aria-label="Runs of the tenant" verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Operation</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Finished</Table.Th>
                  <Table.Th>Started by</Table.Th>
                  <Table.Th>Reason</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {runs.map((run) => (
                  <Table.Tr key={run.id} data-run-id={run.id}>
                    <Table.Td fw={500}>
                      <Link to={run.url}>{run.label}</Link>
                    </Table.Td>
                    <Table.Td>
                      <RunStatus status={run.status} testId="run-status" />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" span>
                        <Time value={run.createdAt} />
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {run.finishedAt ? (
                        <Stack gap={0}>
                          <Text size="sm" span>
                            <Time value={run.finishedAt} />
                          </Text>
                          <Text size="xs" c="dimmed" span>
                            after {duration(run.createdAt, run.finishedAt)}
                          </Text>
                        </Stack>
                      ) : (
                        '—'
                      )}
                    </Table.Td>
                    <Table.Td>
                      {run.initiator?.displayName ??
                        (run.schedule ? (
                          <Text size="sm" span>
                            Schedule: <CronText cron={run.schedule.cron} />
                          </Text>
                        ) : (
                          'the system'
                        ))}
                    </Table.Td>
                    <Table.Td c="dimmed" maw={360}>
                      {run.reason?.message ?? ''}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Scrollable>
        )}
        {data.operationRuns.pageInfo.hasNextPage && (
          <Text size="sm" c="dimmed" p="md">
            Only the newest {RUNS} runs are listed; <Link to={monitor}>the operations monitor</Link> pages through all.
          </Text>
        )}
      </Card>
    </Stack>
  );
}

const FailedStepQuery = graphql(`
  query ConsoleFailedStep($runId: ID!) {
    operationRun(id: $runId) {
      id label status url
      tenant { id name }
      children {
        id label status step url finishedAt
        reason { code message nextSteps { action label url } }
      }
    }
  }
`);

export function FailedStepPage({ runId }: { runId: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: FailedStepQuery, variables: { runId } });
  // The run's events include its steps'.
  useRunEvents({ runId }, () => refetch({ requestPolicy: 'network-only' }));
  if (error)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        Could not load the run: {error.message}
      </Text>
    );
  if (!data) return <Text>{fetching ? 'Loading run…' : 'No data.'}</Text>;
  const run = data.operationRun;
  if (!run)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        No such run, or not one you may see.
      </Text>
    );
  const failed = run.children.find((step) => step.status === 'FAILED');
  const active = run.status === 'QUEUED' || run.status === 'RUNNING';
  return (
    <Stack>
      <div>
        <Title order={1}>Failed step · {run.label}</Title>
        <Group gap={6} align="center">
          <Text size="sm" span>
            <Link to={run.url}>Back to the run ({run.label})</Link>:
          </Text>
          <RunStatus status={run.status} testId="run-status" />
          <Text size="sm" span>
            on <Link to={routePath('tenant', { tenantId: run.tenant.id })}>{run.tenant.name}</Link>
          </Text>
        </Group>
      </div>
      {!failed ? (
        <Card withBorder>
          <Text c="dimmed" data-testid="no-failed-step">
            {run.children.length === 0
              ? 'This run has no steps, so no step of it failed.'
              : active
                ? 'No step of this run has failed so far.'
                : 'No step of this run failed.'}
          </Text>
        </Card>
      ) : (
        <Card withBorder component="section" aria-label="Failed step">
          <Title order={2} size="h3" mb="sm">
            Step {failed.step ?? '?'} of {run.children.length}: {failed.label}
          </Title>
          <DataList labelWidth={120}>
            <DataList.Item>
              <DataList.ItemLabel>Status</DataList.ItemLabel>
              <DataList.ItemValue>
                <RunStatus status={failed.status} testId="step-status" />
              </DataList.ItemValue>
            </DataList.Item>
            {failed.finishedAt && (
              <DataList.Item>
                <DataList.ItemLabel>Finished</DataList.ItemLabel>
                <DataList.ItemValue>
                  <Time value={failed.finishedAt} />
                </DataList.ItemValue>
              </DataList.Item>
            )}
            <DataList.Item>
              <DataList.ItemLabel>Reason</DataList.ItemLabel>
              <DataList.ItemValue data-testid="step-reason" data-reason-code={failed.reason?.code}>
                {failed.reason ? (
                  <>
                    {failed.reason.message}
                    <NextSteps steps={failed.reason.nextSteps} />
                  </>
                ) : (
                  'none recorded'
                )}
              </DataList.ItemValue>
            </DataList.Item>
          </DataList>
          <Text size="sm" mt="sm">
            <Link to={failed.url}>Open the step's run</Link>
          </Text>
        </Card>
      )}
    </Stack>
  );
}
