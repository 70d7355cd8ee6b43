// A restore run (the next-step route `/tenants/<id>/restore-runs/<id>`): its status and items, the
// Restore start button from its startPreview, and its executions; refreshed on each run event of
// the tenant, so a cancelled or finished restore shows its new status without a reload.
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';

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
  if (error) return <p role="alert">Could not load the restore run: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading restore run…' : 'No data.'}</p>;
  const restore = data.tenant?.restoreRuns.find((candidate) => candidate.id === id);
  if (!data.tenant || !restore) return <p role="alert">No such restore run in your workspaces.</p>;
  const executions = data.operationRuns.edges.map((edge) => edge.node).filter((run) => run.restoreRun?.id === id);
  return (
    <>
      <h1>{restore.name}</h1>
      <p>
        Tenant <Link to={`/tenants/${tenantId}`}>{data.tenant.name}</Link> · status{' '}
        <span data-testid="restore-status">{restore.status}</span> · {restore.itemCount} items · created{' '}
        {restore.createdAt}
      </p>
      <StartButton preview={restore.startPreview} target={{ tenantId, restoreRunId: id }} />
      <h2>Executions</h2>
      {executions.length === 0 ? (
        <p>Never executed.</p>
      ) : (
        <ul aria-label="Executions">
          {executions.map((run) => (
            <li key={run.id}>
              <Link to={run.url}>{run.createdAt}</Link> — {run.status}
              {run.initiator && ` (by ${run.initiator.displayName})`}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
