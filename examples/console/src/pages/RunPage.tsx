// One run (the canonical run link `${PUBLIC_APP_URL}/operations/runs/<id>`): status, summary, the
// translated reason, live through operationRunUpdated(runId), and a Cancel button while it is active.
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import { Link } from '../router';

graphql(`
  fragment RunDetailFields on OperationRun {
    id label status type createdAt startedAt finishedAt cancelRequestedAt
    tenant { id name }
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

const RunUpdated = graphql(`
  subscription ConsoleRunUpdated($runId: ID!) {
    operationRunUpdated(runId: $runId) { ...RunDetailFields }
  }
`);

const CancelRun = graphql(`
  mutation ConsoleCancelRun($runId: ID!) {
    cancelOperationRun(runId: $runId) { ... on CancelOutcome { message run { ...RunDetailFields } } }
  }
`);

export function RunPage({ id }: { id: string }) {
  const [{ data, fetching, error }] = useQuery({ query: RunQuery, variables: { id } });
  const [live] = useSubscription({ query: RunUpdated, variables: { runId: id } });
  const [cancel, cancelRun] = useMutation(CancelRun);
  if (error) return <p role="alert">Could not load the run: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading run…' : 'No data.'}</p>;
  const updated = live.data?.operationRunUpdated;
  const run = (updated?.id === id ? updated : null) ?? cancel.data?.cancelOperationRun.run ?? data.operationRun;
  if (!run) return <p role="alert">No such run, or not one you may see.</p>;
  const active = run.status === 'QUEUED' || run.status === 'RUNNING';
  return (
    <>
      <h1>{run.label}</h1>
      <dl>
        <dt>Tenant</dt>
        <dd>
          <Link to={`/tenants/${run.tenant.id}`}>{run.tenant.name}</Link>
        </dd>
        <dt>Status</dt>
        <dd data-testid="run-status">{run.status}</dd>
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
        {run.reason && (
          <>
            <dt>Reason</dt>
            <dd>
              {run.reason.message}
              {run.reason.nextSteps.map((step) => (
                <span key={step.action}> · {step.url ? <Link to={step.url}>{step.label}</Link> : step.label}</span>
              ))}
            </dd>
          </>
        )}
      </dl>
      {run.children.length > 0 && (
        <ol aria-label="Steps">
          {run.children.map((step) => (
            <li key={step.id}>
              {step.label}: {step.status}
            </li>
          ))}
        </ol>
      )}
      {active && (
        <button type="button" disabled={cancel.fetching} onClick={() => cancelRun({ runId: id })}>
          Cancel run
        </button>
      )}
      {cancel.data && <p role="status">{cancel.data.cancelOperationRun.message}</p>}
      {cancel.error && <p role="alert">{cancel.error.message}</p>}
    </>
  );
}
