// Tenants of the signed-in user's workspaces.
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { Link } from '../router';

const TenantsQuery = graphql(`
  query ConsoleTenants {
    me { email displayName }
    tenants { id name status workspace { name } }
  }
`);

export function TenantsOverview() {
  const [{ data, fetching, error }] = useQuery({ query: TenantsQuery });
  if (error) return <p role="alert">Could not load tenants: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading tenants…' : 'No data.'}</p>;
  return (
    <>
      <h1>Tenants</h1>
      <p>
        Signed in as {data.me.displayName} ({data.me.email})
      </p>
      {data.tenants.length === 0 && <p>No tenants in your workspaces.</p>}
      <ul>
        {data.tenants.map((tenant) => (
          <li key={tenant.id}>
            <Link to={`/tenants/${tenant.id}`}>{tenant.name}</Link> — {tenant.status} ({tenant.workspace.name})
          </li>
        ))}
      </ul>
    </>
  );
}
