// A tenant's runs (the route "Start it again" leads to): its runs newest first, refreshed on each of
// its run events, with the tenant's and its connections' start buttons, so a run can be started
// again from here. And a run's failed step (the route of a bootstrap's "Open the failed step").
import { useQuery, useSubscription } from 'urql';
import { routePath } from '../../../../src/operations/routes';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { NextSteps, StartButton } from '../start-result';

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
  if (error) return <p role="alert">Could not load the tenant's runs: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading runs…' : 'No data.'}</p>;
  const { tenant } = data;
  if (!tenant) return <p role="alert">No such tenant in your workspaces.</p>;
  const previews = live.data?.startPreviewsChanged ?? tenant.startPreviews;
  const runs = data.operationRuns.edges.map((edge) => edge.node);
  const monitor = `${routePath('operations', {})}?tenant=${encodeURIComponent(tenant.id)}`;
  return (
    <>
      <h1>Runs · {tenant.name}</h1>
      <p>
        <Link to={routePath('tenant', { tenantId: tenant.id })}>Back to {tenant.name}</Link> ·{' '}
        <Link to={monitor}>Filter them in the operations monitor</Link>
      </p>
      {(live.error ?? liveError) && <p role="alert">Live updates lost: {(live.error ?? liveError)?.message}</p>}
      <h2>Start</h2>
      <ul aria-label="Operations">
        {previews.map((preview) => (
          <li key={preview.type}>
            <StartButton preview={preview} target={{ tenantId: tenant.id }} />
          </li>
        ))}
        {tenant.providerConnections.flatMap((connection) =>
          connection.startPreviews.map((preview) => (
            <li key={`${connection.id}-${preview.type}`}>
              <StartButton preview={preview} target={{ tenantId: tenant.id, providerConnectionId: connection.id }} /> (
              {connection.displayName})
            </li>
          )),
        )}
      </ul>
      <h2>Runs</h2>
      {runs.length === 0 ? (
        <p>No runs yet.</p>
      ) : (
        <table aria-label="Runs of the tenant">
          <thead>
            <tr>
              <th>Operation</th>
              <th>Status</th>
              <th>Created</th>
              <th>Finished</th>
              <th>Started by</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id} data-run-id={run.id}>
                <td>
                  <Link to={run.url}>{run.label}</Link>
                </td>
                <td data-testid="run-status">{run.status}</td>
                <td>{run.createdAt}</td>
                <td>{run.finishedAt ?? '—'}</td>
                <td>{run.initiator?.displayName ?? (run.schedule ? `Schedule ${run.schedule.cron}` : 'the system')}</td>
                <td>{run.reason?.message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data.operationRuns.pageInfo.hasNextPage && (
        <p>
          Only the newest {RUNS} runs are listed; <Link to={monitor}>the operations monitor</Link> pages through all.
        </p>
      )}
    </>
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
  if (error) return <p role="alert">Could not load the run: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading run…' : 'No data.'}</p>;
  const run = data.operationRun;
  if (!run) return <p role="alert">No such run, or not one you may see.</p>;
  const failed = run.children.find((step) => step.status === 'FAILED');
  const active = run.status === 'QUEUED' || run.status === 'RUNNING';
  return (
    <>
      <h1>Failed step · {run.label}</h1>
      <p>
        <Link to={run.url}>Back to the run ({run.label})</Link>: <span data-testid="run-status">{run.status}</span> on{' '}
        <Link to={routePath('tenant', { tenantId: run.tenant.id })}>{run.tenant.name}</Link>
      </p>
      {!failed ? (
        <p data-testid="no-failed-step">
          {run.children.length === 0
            ? 'This run has no steps, so no step of it failed.'
            : active
              ? 'No step of this run has failed so far.'
              : 'No step of this run failed.'}
        </p>
      ) : (
        <section aria-label="Failed step">
          <h2>
            Step {failed.step ?? '?'} of {run.children.length}: {failed.label}
          </h2>
          <dl>
            <dt>Status</dt>
            <dd data-testid="step-status">{failed.status}</dd>
            {failed.finishedAt && (
              <>
                <dt>Finished</dt>
                <dd>{failed.finishedAt}</dd>
              </>
            )}
            <dt>Reason</dt>
            <dd data-testid="step-reason">
              {failed.reason ? (
                <>
                  {failed.reason.message} ({failed.reason.code})
                  <NextSteps steps={failed.reason.nextSteps} />
                </>
              ) : (
                'none recorded'
              )}
            </dd>
          </dl>
          <p>
            <Link to={failed.url}>Open the step's run</Link>
          </p>
        </section>
      )}
    </>
  );
}
