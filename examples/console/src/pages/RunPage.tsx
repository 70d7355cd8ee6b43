// One run (the canonical run link `${PUBLIC_APP_URL}/operations/runs/<id>`): status, steps, summary,
// the translated reason and next steps, live through operationRunUpdated(runId) (its steps' events
// included), and a Cancel button while the API says the viewer's cancel would cancel it (viewerCanCancel).
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { NextSteps } from '../start-result';
import { apiMessage } from '../starts';

graphql(`
  fragment RunDetailFields on OperationRun {
    id label status type createdAt startedAt finishedAt cancelRequestedAt attempts viewerCanCancel
    tenant { id name }
    initiator { displayName }
    cancelledBy { displayName }
    schedule { id cron }
    parent { id label }
    providerConnection { id displayName }
    restoreRun { id name status }
    summary { total succeeded failed skipped }
    reason { code message nextSteps { action label url } }
    children { id label status step }
  }
`);

const RunQuery = graphql(`
  query ConsoleOperationRun($id: ID!) {
    operationRun(id: $id) { ...RunDetailFields }
  }
`);

const CancelRun = graphql(`
  mutation ConsoleCancelRun($runId: ID!) {
    cancelOperationRun(runId: $runId) { ... on CancelOutcome { message run { ...RunDetailFields } } }
  }
`);

const MUTED = { color: '#57606a' } as const;

export function RunPage({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: RunQuery, variables: { id } });
  useRunEvents({ runId: id }, () => refetch({ requestPolicy: 'network-only' }));
  const [cancel, cancelRun] = useMutation(CancelRun);
  if (error) return <p role="alert">Could not load the run: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading run…' : 'No data.'}</p>;
  const run = data.operationRun;
  if (!run) return <p role="alert">No such run, or not one you may see.</p>;
  const active = run.status === 'QUEUED' || run.status === 'RUNNING';
  const tenantPage = `/tenants/${run.tenant.id}`;
  return (
    <>
      <h1>{run.label}</h1>
      <dl>
        <dt>Tenant</dt>
        <dd>
          <Link to={tenantPage}>{run.tenant.name}</Link>
        </dd>
        <dt>Status</dt>
        <dd data-testid="run-status">{run.status}</dd>
        {run.restoreRun && (
          <>
            <dt>Restore run</dt>
            <dd>
              <Link to={`${tenantPage}/restore-runs/${run.restoreRun.id}`}>{run.restoreRun.name}</Link>
            </dd>
          </>
        )}
        {run.parent && (
          <>
            <dt>Step of</dt>
            <dd>
              <Link to={`/operations/runs/${run.parent.id}`}>{run.parent.label}</Link>
            </dd>
          </>
        )}
        <dt>Started by</dt>
        <dd>
          {run.initiator?.displayName ??
            (run.schedule ? <Link to={`${tenantPage}/schedules`}>Schedule {run.schedule.cron}</Link> : 'the system')}
        </dd>
        <dt>Connection</dt>
        <dd>
          {run.providerConnection ? (
            <Link to={`${tenantPage}/provider-connections/${run.providerConnection.id}`}>
              {run.providerConnection.displayName}
            </Link>
          ) : (
            'none'
          )}
        </dd>
        <dt>Summary</dt>
        <dd>
          {run.summary.succeeded} succeeded, {run.summary.failed} failed, {run.summary.skipped} skipped of{' '}
          {run.summary.total}
        </dd>
        <dt>Created</dt>
        <dd>{run.createdAt}</dd>
        {run.finishedAt && (
          <>
            <dt>Finished</dt>
            <dd>{run.finishedAt}</dd>
          </>
        )}
        {run.cancelRequestedAt && (
          <>
            <dt>Cancel requested</dt>
            <dd>
              {run.cancelRequestedAt}
              {run.cancelledBy && ` by ${run.cancelledBy.displayName}`}
            </dd>
          </>
        )}
        {run.reason && (
          <>
            <dt>Reason</dt>
            <dd>
              {run.reason.message}
              <NextSteps steps={run.reason.nextSteps} />
            </dd>
          </>
        )}
      </dl>
      {run.children.length > 0 && (
        <>
          <h2>Steps</h2>
          <ol aria-label="Steps">
            {run.children.map((step) => (
              <li key={step.id}>
                <Link to={`/operations/runs/${step.id}`}>{step.label}</Link>:{' '}
                <span data-testid="step-status">{step.status}</span>
              </li>
            ))}
          </ol>
        </>
      )}
      {run.viewerCanCancel ? (
        <button type="button" disabled={cancel.fetching} onClick={() => cancelRun({ runId: id })}>
          Cancel run
        </button>
      ) : (
        // viewerCanCancel is false for an active run only because of the viewer's role.
        active && <p style={MUTED}>Your role does not allow you to cancel this run.</p>
      )}
      {cancel.data && <p role="status">{cancel.data.cancelOperationRun.message}</p>}
      {cancel.error && <p role="alert">{apiMessage(cancel.error)}</p>}
    </>
  );
}
