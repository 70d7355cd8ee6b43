// Tenants of the signed-in user's workspaces, each with its start buttons: one batched read of every
// tenant's startPreviews, then each row kept live by its own startPreviewsChanged subscription.
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type { ConsoleOverviewTenantFragment } from '../gql/graphql';
import { Link } from '../router';
import { StartButton } from '../start-result';

graphql(`
  fragment ConsoleOverviewTenant on Tenant {
    id name status workspace { name }
    startPreviews { ...ConsoleStartPreview }
  }
`);

const TenantsQuery = graphql(`
  query ConsoleTenants {
    me { email displayName }
    tenants { ...ConsoleOverviewTenant }
  }
`);

const RowPreviews = graphql(`
  subscription ConsoleOverviewPreviews($tenantId: ID!) {
    startPreviewsChanged(tenantId: $tenantId) { ...ConsoleStartPreview }
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
      {data.tenants.length === 0 ? (
        <p>No tenants in your workspaces.</p>
      ) : (
        <table aria-label="Tenants">
          <thead>
            <tr>
              <th>Tenant</th>
              <th>Status</th>
              <th>Workspace</th>
              <th>Operations</th>
            </tr>
          </thead>
          <tbody>
            {data.tenants.map((tenant) => (
              <TenantRow key={tenant.id} tenant={tenant} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function TenantRow({ tenant }: { tenant: ConsoleOverviewTenantFragment }) {
  const [live] = useSubscription({ query: RowPreviews, variables: { tenantId: tenant.id } });
  const previews = live.data?.startPreviewsChanged ?? tenant.startPreviews;
  return (
    <tr aria-label={tenant.name}>
      <th scope="row">
        <Link to={`/tenants/${tenant.id}`}>{tenant.name}</Link>
      </th>
      <td>{tenant.status}</td>
      <td>{tenant.workspace.name}</td>
      <td>
        <ul className="operations">
          {previews.map((preview) => (
            <li key={preview.type}>
              <StartButton preview={preview} target={{ tenantId: tenant.id }} />
            </li>
          ))}
        </ul>
        {live.error && <span role="alert"> Live updates lost: {live.error.message}</span>}
      </td>
    </tr>
  );
}
