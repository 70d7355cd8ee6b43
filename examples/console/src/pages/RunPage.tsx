// One run (the canonical run link `${PUBLIC_APP_URL}/operations/runs/<id>`): status, steps, summary,
// the translated reason and next steps, live through operationRunUpdated(runId) (its steps' events
// included), and a Cancel button while the API says the viewer's cancel would cancel it (viewerCanCancel).
import { Button, Card, Group, Modal, SimpleGrid, Stack, Text, Timeline, Title } from '@mantine/core';
import { useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import { Link } from '../router';
import { NextSteps } from '../start-result';
import { apiMessage } from '../starts';
import { CronText, duration, RUN_STATUS, RunStatus, Time } from '../ui';

graphql(`
  fragment RunDetailFields on OperationRun {
    id label status type createdAt startedAt finishedAt cancelRequestedAt attempts viewerCanCancel
    tenant { id name }
    initiator { displayName }
    cancelledBy { displayName }
    schedule { id cron timezone }
    parent { id label }
    providerConnection { id displayName }
    restoreRun { id name status }
    summary { total succeeded failed skipped }
    reason { code message nextSteps { action label url } }
    children { id label status step createdAt startedAt finishedAt }
  }
`);

const RunQuery = graphql(`
  query ConsoleOperationRun($id: ID!) {
    operationRun(id: $id) { ...RunDetailFields }
  }
`);

// Each change of the run or its steps, whole: the normalized cache puts it in place (no refetch).
const RunDetailUpdated = graphql(`
  subscription ConsoleRunDetailUpdated($runId: ID!, $after: ID) {
    operationRunUpdated(runId: $runId, after: $after) { changeId ...RunDetailFields }
  }
`);

// Only the run's id: its new state arrives as events (RunDetailUpdated). A mutation answer that
// carried the run would overwrite a newer event's state in the normalized cache when it is the
// slower of the two (a cancelled run shown as running again).
const CancelRun = graphql(`
  mutation ConsoleCancelRun($runId: ID!) {
    cancelOperationRun(runId: $runId) { ... on CancelOutcome { message run { id } } }
  }
`);

export function RunPage({ id }: { id: string }) {
  const [{ data, fetching, error }] = useQuery({ query: RunQuery, variables: { id } });
  const [live] = useSubscription({ query: RunDetailUpdated, variables: { runId: id } });
  const [cancel, cancelRun] = useMutation(CancelRun);
  const [confirming, setConfirming] = useState(false);
  if (error) return <p role="alert">Could not load the run: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading run…' : 'No data.'}</p>;
  const run = data.operationRun;
  if (!run) return <p role="alert">No such run, or not one you may see.</p>;
  const active = run.status === 'QUEUED' || run.status === 'RUNNING';
  const tenantPage = `/tenants/${run.tenant.id}`;
  return (
    <Stack>
      <Group gap="sm" align="center">
        <Title order={1}>{run.label}</Title>
        <RunStatus status={run.status} testId="run-status" />
      </Group>
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, sm: 2 }} component="dl" spacing="xs" m={0}>
          <Field label="Tenant">
            <Link to={tenantPage}>{run.tenant.name}</Link>
          </Field>
          {run.restoreRun && (
            <Field label="Restore run">
              <Link to={`${tenantPage}/restore-runs/${run.restoreRun.id}`}>{run.restoreRun.name}</Link>
            </Field>
          )}
          {run.parent && (
            <Field label="Step of">
              <Link to={`/operations/runs/${run.parent.id}`}>{run.parent.label}</Link>
            </Field>
          )}
          <Field label="Started by">
            {run.initiator?.displayName ??
              (run.schedule ? (
                <Link to={`${tenantPage}/schedules`}>
                  Schedule: <CronText cron={run.schedule.cron} timezone={run.schedule.timezone} />
                </Link>
              ) : (
                'the system'
              ))}
          </Field>
          <Field label="Connection">
            {run.providerConnection ? (
              <Link to={`${tenantPage}/provider-connections/${run.providerConnection.id}`}>
                {run.providerConnection.displayName}
              </Link>
            ) : (
              'none'
            )}
          </Field>
          <Field label="Summary">
            {run.summary.succeeded} succeeded, {run.summary.failed} failed, {run.summary.skipped} skipped of{' '}
            {run.summary.total}
          </Field>
          <Field label="Created">
            <Time value={run.createdAt} />
          </Field>
          {run.startedAt && (
            <Field label="Duration">
              {duration(run.startedAt, run.finishedAt)}
              {!run.finishedAt && ' so far'}
            </Field>
          )}
          {run.finishedAt && (
            <Field label="Finished">
              <Time value={run.finishedAt} />
            </Field>
          )}
          {run.cancelRequestedAt && (
            <Field label="Cancel requested">
              <Time value={run.cancelRequestedAt} />
              {run.cancelledBy && ` by ${run.cancelledBy.displayName}`}
            </Field>
          )}
          {run.reason && (
            <Field label="Reason">
              {run.reason.message}
              <NextSteps steps={run.reason.nextSteps} />
            </Field>
          )}
        </SimpleGrid>
      </Card>
      {run.children.length > 0 && (
        <Card withBorder component="section" aria-labelledby="steps-heading">
          <Title order={2} size="h3" id="steps-heading" mb="sm">
            Steps
          </Title>
          <Timeline
            component="ol"
            aria-label="Steps"
            bulletSize={18}
            lineWidth={2}
            active={run.children.filter((step) => step.startedAt).length - 1}
          >
            {run.children.map((step) => (
              <Timeline.Item
                key={step.id}
                component="li"
                color={RUN_STATUS[step.status].color}
                title={
                  <Group gap="xs">
                    <Link to={`/operations/runs/${step.id}`}>{step.label}</Link>
                    <RunStatus status={step.status} testId="step-status" />
                  </Group>
                }
              >
                <Text size="xs" c="dimmed">
                  {step.startedAt
                    ? `${duration(step.startedAt, step.finishedAt)}${step.finishedAt ? '' : ' so far'}`
                    : 'not started'}
                </Text>
              </Timeline.Item>
            ))}
          </Timeline>
        </Card>
      )}
      {run.viewerCanCancel ? (
        <Group>
          <Button color="red" variant="light" loading={cancel.fetching} onClick={() => setConfirming(true)}>
            Cancel run
          </Button>
        </Group>
      ) : (
        // viewerCanCancel is false for an active run only because of the viewer's role.
        active && <Text c="dimmed">Your role does not allow you to cancel this run.</Text>
      )}
      <Modal
        opened={confirming}
        onClose={() => setConfirming(false)}
        title={`Cancel ${run.label} on ${run.tenant.name}?`}
        centered
      >
        <Text size="sm" mb="md">
          {run.status === 'QUEUED'
            ? 'It has not started: it ends at once and never calls the provider.'
            : 'It stops before its next provider call; what it has done so far stays done.'}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setConfirming(false)}>
            Keep it
          </Button>
          <Button
            color="red"
            onClick={() => {
              setConfirming(false);
              cancelRun({ runId: id });
            }}
          >
            Yes, cancel the run
          </Button>
        </Group>
      </Modal>
      {live.error && <Text role="alert">Live updates lost: {apiMessage(live.error)}</Text>}
      {cancel.data && <Text role="status">{cancel.data.cancelOperationRun.message}</Text>}
      {cancel.error && <Text role="alert">{apiMessage(cancel.error)}</Text>}
    </Stack>
  );
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text component="dd" m={0}>
        {children}
      </Text>
    </div>
  );
}
