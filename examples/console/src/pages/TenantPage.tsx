// A tenant: one start button per operation, enabled or disabled from startPreviews and kept live by
// startPreviewsChanged; its restore runs and provider connections, refreshed on each of its run events.
import { useQuery, useSubscription } from 'urql';
import { routePath } from '../../../../src/operations/routes';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';

const TenantQuery = graphql(`
  query ConsoleTenant($id: ID!) {
    tenant(id: $id) {
      id name status verifiedAt directoryGroupCount roleDefinitionCount
      workspace { name }
      startPreviews { ...ConsoleStartPreview }
      restoreRuns { id name status itemCount }
      providerConnections { id displayName enabled isDefault credentialState }
    }
  }
`);

const PreviewsChanged = graphql(`
  subscription ConsoleStartPreviewsChanged($tenantId: ID!) {
    startPreviewsChanged(tenantId: $tenantId) { ...ConsoleStartPreview }
  }
`);

export function TenantPage({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: TenantQuery, variables: { id } });
  const [live] = useSubscription({ query: PreviewsChanged, variables: { tenantId: id } });
  useRunEvents({ tenantId: id }, () => refetch({ requestPolicy: 'network-only' }));
  const previews = live.data?.startPreviewsChanged ?? data?.tenant?.startPreviews ?? [];
  if (error) return <p role="alert">Could not load the tenant: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading tenant…' : 'No data.'}</p>;
  const { tenant } = data;
  if (!tenant) return <p role="alert">No such tenant in your workspaces.</p>;
  return (
    <>
      <h1>{tenant.name}</h1>
      <p>
        Status: <span data-testid="tenant-status">{tenant.status}</span> · {tenant.workspace.name} ·{' '}
        {tenant.verifiedAt ? `verified ${tenant.verifiedAt}` : 'not verified yet'} · {tenant.directoryGroupCount}{' '}
        groups, {tenant.roleDefinitionCount} role definitions
      </p>
      <nav aria-label="Tenant pages">
        <Link to={`/tenants/${tenant.id}/provider-connections`}>Provider connections</Link> ·{' '}
        <Link to={`/tenants/${tenant.id}/schedules`}>Schedules</Link> ·{' '}
        <Link to={`/tenants/${tenant.id}/onboarding`}>Onboarding</Link> ·{' '}
        <Link to={routePath('tenantRuns', { tenantId: tenant.id })}>Runs of this tenant</Link> ·{' '}
        <Link to={routePath('verification', { tenantId: tenant.id })}>Verification report</Link>
      </nav>
      {live.error && <p role="alert">Live updates lost: {live.error.message}</p>}
      <h2>Operations</h2>
      <ul aria-label="Operations">
        {previews.map((preview) => (
          <li key={preview.type}>
            <StartButton preview={preview} target={{ tenantId: tenant.id }} />
          </li>
        ))}
      </ul>
      <h2>Restore runs</h2>
      {tenant.restoreRuns.length === 0 ? (
        <p>No restore runs.</p>
      ) : (
        <ul aria-label="Restore runs">
          {tenant.restoreRuns.map((restore) => (
            <li key={restore.id}>
              <Link to={`/tenants/${tenant.id}/restore-runs/${restore.id}`}>{restore.name}</Link> — {restore.status} (
              {restore.itemCount} items)
            </li>
          ))}
        </ul>
      )}
      <h2>Provider connections</h2>
      {tenant.providerConnections.length === 0 ? (
        <p>
          No provider connection. <Link to={`/tenants/${tenant.id}/provider-connections/new`}>Add one</Link>
        </p>
      ) : (
        <ul aria-label="Provider connections">
          {tenant.providerConnections.map((connection) => (
            <li key={connection.id}>
              <Link to={`/tenants/${tenant.id}/provider-connections/${connection.id}`}>{connection.displayName}</Link> —{' '}
              {connection.enabled ? 'enabled' : 'disabled'}, credentials {connection.credentialState}
              {connection.isDefault && ', default'}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
