// The operations monitor: the newest runs, updated live by operationRunUpdated (new runs appear on top).
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type { RunRowFieldsFragment } from '../gql/graphql';
import { Link } from '../router';

graphql(`
  fragment RunRowFields on OperationRun {
    id label status createdAt finishedAt url
    tenant { id name }
    summary { total succeeded failed skipped }
  }
`);

const RunsQuery = graphql(`
  query ConsoleOperationRuns {
    operationRuns(first: 50) { edges { node { ...RunRowFields } } }
  }
`);

const RunUpdated = graphql(`
  subscription ConsoleOperationRunUpdated {
    operationRunUpdated { ...RunRowFields }
  }
`);

/** Every update seen since the page opened, newest last; they win over the listed rows. */
const collect = (seen: RunRowFieldsFragment[] = [], event: { operationRunUpdated: RunRowFieldsFragment }) => [
  ...seen.filter((run) => run.id !== event.operationRunUpdated.id),
  event.operationRunUpdated,
];

export function OperationsMonitor() {
  const [{ data, fetching, error }] = useQuery({ query: RunsQuery });
  const [live] = useSubscription({ query: RunUpdated }, collect);
  if (error) return <p role="alert">Could not load runs: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading runs…' : 'No data.'}</p>;
  const updates = live.data ?? [];
  const listed = data.operationRuns.edges.map((edge) => edge.node);
  const fresh = updates.filter((run) => !listed.some((row) => row.id === run.id)).reverse();
  const rows = [...fresh, ...listed.map((row) => updates.find((run) => run.id === row.id) ?? row)];
  return (
    <>
      <h1>Operations</h1>
      {live.error && <p role="alert">Live updates lost: {live.error.message}</p>}
      {rows.length === 0 && <p>No runs yet.</p>}
      <table aria-label="Operation runs">
        <thead>
          <tr>
            <th>Run</th>
            <th>Tenant</th>
            <th>Status</th>
            <th>Summary</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((run) => (
            <tr key={run.id} data-run-id={run.id}>
              <td>
                <Link to={`/operations/runs/${run.id}`}>{run.label}</Link>
              </td>
              <td>{run.tenant.name}</td>
              <td data-testid="run-status">{run.status}</td>
              <td>
                {run.summary.succeeded}/{run.summary.total} succeeded, {run.summary.failed} failed
              </td>
              <td>{run.createdAt}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
