// Onboarding a tenant: the bootstrap start button (from its live preview) and the latest bootstrap
// with its three steps (verification, group sync, role definitions sync) progressing live; an
// ONBOARDING tenant shows ACTIVE once its bootstrap succeeds.
import { Card, Group, Stack, Text, Timeline, Title } from '@mantine/core';
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';
import { duration, RUN_STATUS, RunStatus, StatusBadge, TENANT_STATUS, Time } from '../ui';

const OnboardingQuery = graphql(`
  query ConsoleOnboarding($tenantId: ID!) {
    tenant(id: $tenantId) { id name status verifiedAt startPreviews { ...ConsoleStartPreview } }
    operationRuns(filter: { tenantId: $tenantId, type: [ONBOARDING_BOOTSTRAP] }, first: 1) {
      edges { node { id status url createdAt finishedAt children { id label status step } } }
    }
  }
`);

const PreviewsChanged = graphql(`
  subscription ConsoleOnboardingPreviews($tenantId: ID!) {
    startPreviewsChanged(tenantId: $tenantId) { ...ConsoleStartPreview }
  }
`);

export function OnboardingPage({ tenantId }: { tenantId: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: OnboardingQuery, variables: { tenantId } });
  const [live] = useSubscription({ query: PreviewsChanged, variables: { tenantId } });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const latest = data?.operationRuns.edges[0]?.node;
  // The tenant's run events include the bootstrap's steps.
  useRunEvents({ tenantId }, reload);
  if (error)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        Could not load onboarding: {error.message}
      </Text>
    );
  if (!data) return <Text>{fetching ? 'Loading onboarding…' : 'No data.'}</Text>;
  const { tenant } = data;
  if (!tenant)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        No such tenant in your workspaces.
      </Text>
    );
  const preview = (live.data?.startPreviewsChanged ?? tenant.startPreviews).find(
    (candidate) => candidate.type === 'ONBOARDING_BOOTSTRAP',
  );
  // The last step that has left the queue: the timeline is drawn up to it.
  const reached = latest ? latest.children.map((step) => step.status !== 'QUEUED').lastIndexOf(true) : -1;
  return (
    <Stack>
      <div>
        <Group gap="sm" align="center">
          <Title order={1}>Onboarding · {tenant.name}</Title>
          <StatusBadge status={tenant.status} looks={TENANT_STATUS} testId="tenant-status" />
        </Group>
        <Text c="dimmed" size="sm">
          <Link to={`/tenants/${tenantId}`}>Back to {tenant.name}</Link>
          {tenant.status === 'ONBOARDING' &&
            ` · becomes ${TENANT_STATUS.ACTIVE.label.toLowerCase()} when its bootstrap succeeds`}
        </Text>
      </div>
      {preview && (
        <div>
          <StartButton preview={preview} target={{ tenantId }} />
        </div>
      )}
      <Card withBorder component="section" aria-labelledby="bootstrap-heading">
        <Title order={2} size="h3" id="bootstrap-heading" mb="sm">
          Latest bootstrap
        </Title>
        {!latest ? (
          <Text c="dimmed">No bootstrap yet.</Text>
        ) : (
          <Stack gap="sm">
            <Group gap="xs" align="center">
              <Text span>
                <Link to={latest.url}>
                  Bootstrap of <Time value={latest.createdAt} />
                </Link>
              </Text>
              <RunStatus status={latest.status} testId="bootstrap-status" />
              {latest.finishedAt && (
                <Text size="sm" c="dimmed" span>
                  finished after {duration(latest.createdAt, latest.finishedAt)}
                </Text>
              )}
            </Group>
            {latest.children.length === 0 ? (
              <Text c="dimmed">Its steps appear when it starts running.</Text>
            ) : (
              <Timeline component="ol" aria-label="Bootstrap steps" bulletSize={18} lineWidth={2} active={reached}>
                {latest.children.map((step) => (
                  <Timeline.Item
                    key={step.id}
                    component="li"
                    data-step={step.label}
                    color={RUN_STATUS[step.status].color}
                    title={
                      <Group gap="xs">
                        <span>{step.label}</span>
                        <RunStatus status={step.status} testId="step-status" />
                      </Group>
                    }
                  />
                ))}
              </Timeline>
            )}
          </Stack>
        )}
      </Card>
    </Stack>
  );
}
