// A tenant's provider connections (the next-step routes `/tenants/<id>/provider-connections[/<id>]`):
// enable or disable, make default (owners and managers), and the connection check through the shared
// start button. Every change shows at once here and, through startPreviewsChanged, on the tenant page.
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { ConsoleConnectionFieldsFragment } from '../gql/graphql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';
import { apiMessage } from '../starts';

graphql(`
  fragment ConsoleConnectionFields on ProviderConnection {
    id displayName provider enabled isDefault credentialState checkedAt
    checkPreview { ...ConsoleStartPreview }
  }
`);

const ConnectionsQuery = graphql(`
  query ConsoleConnections($tenantId: ID!) {
    tenant(id: $tenantId) { id name viewerCanManageConnections providerConnections { ...ConsoleConnectionFields } }
  }
`);

const SetEnabled = graphql(`
  mutation ConsoleSetConnectionEnabled($id: ID!, $enabled: Boolean!) {
    setProviderConnectionEnabled(providerConnectionId: $id, enabled: $enabled) { ...ConsoleConnectionFields }
  }
`);

const SetDefault = graphql(`
  mutation ConsoleSetDefaultConnection($id: ID!) {
    setDefaultProviderConnection(providerConnectionId: $id) { ...ConsoleConnectionFields }
  }
`);

/** The tenant's connections and whether the signed-in user may change them (OWNER, MANAGER). */
function useConnections(tenantId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ConnectionsQuery, variables: { tenantId } });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  useRunEvents({ tenantId }, reload);
  return { data, fetching, error, reload, canManage: !!data?.tenant?.viewerCanManageConnections };
}

export function ConnectionsPage({ tenantId }: { tenantId: string }) {
  const { data, fetching, error, reload, canManage } = useConnections(tenantId);
  if (error) return <p role="alert">Could not load connections: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading connections…' : 'No data.'}</p>;
  if (!data.tenant) return <p role="alert">No such tenant in your workspaces.</p>;
  const { tenant } = data;
  return (
    <>
      <h1>Provider connections · {tenant.name}</h1>
      <p>
        <Link to={`/tenants/${tenantId}`}>Back to {tenant.name}</Link> ·{' '}
        <Link to={`/tenants/${tenantId}/provider-connections/new`}>Add a provider connection</Link>
      </p>
      {tenant.providerConnections.length === 0 && <p>No provider connection yet.</p>}
      {tenant.providerConnections.map((connection) => (
        <section key={connection.id} aria-label={connection.displayName}>
          <h2>
            <Link to={`/tenants/${tenantId}/provider-connections/${connection.id}`}>{connection.displayName}</Link>
          </h2>
          <ConnectionControls connection={connection} tenantId={tenantId} canManage={canManage} onChange={reload} />
        </section>
      ))}
    </>
  );
}

export function ConnectionPage({ tenantId, id }: { tenantId: string; id: string }) {
  const { data, fetching, error, reload, canManage } = useConnections(tenantId);
  if (error) return <p role="alert">Could not load the connection: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading connection…' : 'No data.'}</p>;
  const connection = data.tenant?.providerConnections.find((candidate) => candidate.id === id);
  if (!data.tenant || !connection) return <p role="alert">No such provider connection in your workspaces.</p>;
  return (
    <>
      <h1>{connection.displayName}</h1>
      <p>
        <Link to={`/tenants/${tenantId}`}>Back to {data.tenant.name}</Link> ·{' '}
        <Link to={`/tenants/${tenantId}/provider-connections`}>All connections of {data.tenant.name}</Link>
      </p>
      <ConnectionControls connection={connection} tenantId={tenantId} canManage={canManage} onChange={reload} />
    </>
  );
}

/** There is no mutation to add a connection: consent happens in the provider's portal. */
export function NewConnectionPage({ tenantId }: { tenantId: string }) {
  return (
    <>
      <h1>Add a provider connection</h1>
      <p>
        Connections are created when a tenant administrator grants admin consent to the atlas-gate application in
        Microsoft Entra; atlas-gate's API has no mutation to add one, so this console cannot either.
      </p>
      <Link to={`/tenants/${tenantId}/provider-connections`}>Back to the connections</Link>
    </>
  );
}

function ConnectionControls({
  connection,
  tenantId,
  canManage,
  onChange,
}: {
  connection: ConsoleConnectionFieldsFragment;
  tenantId: string;
  canManage: boolean;
  onChange: () => void;
}) {
  const [enabling, setEnabled] = useMutation(SetEnabled);
  const [defaulting, setDefault] = useMutation(SetDefault);
  const failure = enabling.error ?? defaulting.error;
  const notManager = canManage ? undefined : `manage-${connection.id}`;
  return (
    <>
      <dl>
        <dt>Provider</dt>
        <dd>{connection.provider}</dd>
        <dt>State</dt>
        <dd data-testid="connection-enabled">{connection.enabled ? 'Enabled' : 'Disabled'}</dd>
        <dt>Default</dt>
        <dd data-testid="connection-default">{connection.isDefault ? 'Default connection' : 'Not the default'}</dd>
        <dt>Credentials</dt>
        <dd>{connection.credentialState}</dd>
        <dt>Last checked</dt>
        <dd>{connection.checkedAt ?? 'never'}</dd>
      </dl>
      <p>
        <button
          type="button"
          disabled={!canManage || enabling.fetching}
          aria-describedby={notManager}
          onClick={async () => {
            await setEnabled({ id: connection.id, enabled: !connection.enabled });
            onChange();
          }}
        >
          {connection.enabled ? 'Disable connection' : 'Enable connection'}
        </button>{' '}
        <button
          type="button"
          disabled={!canManage || connection.isDefault || defaulting.fetching}
          aria-describedby={notManager}
          onClick={async () => {
            await setDefault({ id: connection.id });
            onChange();
          }}
        >
          Make default
        </button>
        {notManager && <span id={notManager}> Only owners and managers can change connections.</span>}
      </p>
      {failure && <p role="alert">{apiMessage(failure)}</p>}
      <p>
        <StartButton preview={connection.checkPreview} target={{ tenantId, providerConnectionId: connection.id }} />
      </p>
    </>
  );
}
