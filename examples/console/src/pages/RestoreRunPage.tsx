// A restore run (the next-step route `/tenants/<id>/restore-runs/<id>`): its status and items, the
// Restore start button from its startPreview, and its executions; refreshed on each run event of
// the tenant, so a cancelled or finished restore shows its new status without a reload.
import { Card, Group, List, Stack, Text, Title } from '@mantine/core';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';
import { duration, RESTORE_STATUS, RunStatus, StatusBadge, Time } from '../ui';

const RestoreQuery = graphql(`
  query ConsoleRestoreRun($tenantId: ID!) {
    tenant(id: $tenantId) {
      id name
      restoreRuns { id name status itemCount createdAt startPreview { ...ConsoleStartPreview } }
    }
    operationRuns(filter: { tenantId: $tenantId, type: [RESTORE_EXECUTE] }, first: 50) {
      edges { node { id status createdAt finishedAt url restoreRun { id } initiator { displayName } } }
    }
  }
`);

export function RestoreRunPage({ tenantId, id }: { tenantId: string; id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: RestoreQuery, variables: { tenantId } });
  useRunEvents({ tenantId }, () => refetch({ requestPolicy: 'network-only' }));
  if (error)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        Could not load the restore run: {error.message}
      </Text>
    );
  if (!data) return <Text>{fetching ? 'Loading restore run…' : 'No data.'}</Text>;
  const restore = data.tenant?.restoreRuns.find((candidate) => candidate.id === id);
  if (!data.tenant || !restore)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        No such restore run in your workspaces.
      </Text>
    );
  const executions = data.operationRuns.edges.map((edge) => edge.node).filter((run) => run.restoreRun?.id === id);
  return (
    <Stack>
      <div>
        <Group gap="sm" align="center">
          <Title order={1}>{restore.name}</Title>
          <StatusBadge status={restore.status} looks={RESTORE_STATUS} testId="restore-status" />
        </Group>
        <Text c="dimmed" size="sm">
          Tenant <Link to={`/tenants/${tenantId}`}>{data.tenant.name}</Link> · {restore.itemCount} items · created{' '}
          <Time value={restore.createdAt} />
        </Text>
      </div>
      <div>
        <StartButton preview={restore.startPreview} target={{ tenantId, restoreRunId: id }} />
      </div>
      <Card withBorder component="section" aria-labelledby="executions-heading">
        <Title order={2} size="h3" id="executions-heading" mb="sm">
          Executions
        </Title>
        {executions.length === 0 ? (
          <Text c="dimmed">Never executed.</Text>
        ) : (
          <List aria-label="Executions" listStyleType="none" spacing="xs">
            {executions.map((run) => (
              <List.Item key={run.id}>
                <Group gap="xs" align="center">
                  <RunStatus status={run.status} />
                  <Text size="sm" span>
                    <Link to={run.url}>
                      <Time value={run.createdAt} />
                    </Link>
                  </Text>
                  {run.finishedAt && (
                    <Text size="sm" c="dimmed" span>
                      finished after {duration(run.createdAt, run.finishedAt)}
                    </Text>
                  )}
                  {run.initiator && (
                    <Text size="sm" c="dimmed" span>
                      by {run.initiator.displayName}
                    </Text>
                  )}
                </Group>
              </List.Item>
            ))}
          </List>
        )}
      </Card>
    </Stack>
  );
}
