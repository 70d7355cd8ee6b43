// A tenant's provider connections (the next-step routes `/tenants/<id>/provider-connections[/<id>]`):
// enable or disable, make default (owners and managers), and the connection check through the shared
// start button. Every change shows at once here and, through startPreviewsChanged, on the tenant page.
import { Badge, Button, Card, DataList, Group, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { ConsoleConnectionFieldsFragment } from '../gql/graphql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';
import { apiMessage } from '../starts';
import { CREDENTIAL_STATE, StatusBadge, Time } from '../ui';

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

/** The providers in words (the API's `provider` is a string: an unknown one reads as its words). */
const PROVIDER: Record<string, string> = { MICROSOFT_GRAPH: 'Microsoft Graph', SIMULATED: 'Simulated provider' };
const providerName = (provider: string) =>
  PROVIDER[provider] ?? provider.charAt(0) + provider.slice(1).toLowerCase().replaceAll('_', ' ');

/** The tenant's connections and whether the signed-in user may change them (OWNER, MANAGER). */
function useConnections(tenantId: string) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ConnectionsQuery, variables: { tenantId } });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  useRunEvents({ tenantId }, reload);
  return { data, fetching, error, reload, canManage: !!data?.tenant?.viewerCanManageConnections };
}

export function ConnectionsPage({ tenantId }: { tenantId: string }) {
  const { data, fetching, error, reload, canManage } = useConnections(tenantId);
  if (error)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        Could not load connections: {error.message}
      </Text>
    );
  if (!data) return <Text>{fetching ? 'Loading connections…' : 'No data.'}</Text>;
  if (!data.tenant)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        No such tenant in your workspaces.
      </Text>
    );
  const { tenant } = data;
  return (
    <Stack>
      <div>
        <Title order={1}>Provider connections · {tenant.name}</Title>
        <Group gap="md">
          <Text size="sm">
            <Link to={`/tenants/${tenantId}`}>Back to {tenant.name}</Link>
          </Text>
          <Text size="sm">
            <Link to={`/tenants/${tenantId}/provider-connections/new`}>Add a provider connection</Link>
          </Text>
        </Group>
      </div>
      {tenant.providerConnections.length === 0 && <Text c="dimmed">No provider connection yet.</Text>}
      {tenant.providerConnections.map((connection) => (
        <Card key={connection.id} withBorder component="section" aria-label={connection.displayName}>
          <Title order={2} size="h3" mb="sm">
            <Link to={`/tenants/${tenantId}/provider-connections/${connection.id}`}>{connection.displayName}</Link>
          </Title>
          <ConnectionControls connection={connection} tenantId={tenantId} canManage={canManage} onChange={reload} />
        </Card>
      ))}
    </Stack>
  );
}

export function ConnectionPage({ tenantId, id }: { tenantId: string; id: string }) {
  const { data, fetching, error, reload, canManage } = useConnections(tenantId);
  if (error)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        Could not load the connection: {error.message}
      </Text>
    );
  if (!data) return <Text>{fetching ? 'Loading connection…' : 'No data.'}</Text>;
  const connection = data.tenant?.providerConnections.find((candidate) => candidate.id === id);
  if (!data.tenant || !connection)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        No such provider connection in your workspaces.
      </Text>
    );
  return (
    <Stack>
      <div>
        <Title order={1}>{connection.displayName}</Title>
        <Group gap="md">
          <Text size="sm">
            <Link to={`/tenants/${tenantId}`}>Back to {data.tenant.name}</Link>
          </Text>
          <Text size="sm">
            <Link to={`/tenants/${tenantId}/provider-connections`}>All connections of {data.tenant.name}</Link>
          </Text>
        </Group>
      </div>
      <Card withBorder>
        <ConnectionControls connection={connection} tenantId={tenantId} canManage={canManage} onChange={reload} />
      </Card>
    </Stack>
  );
}

/** There is no mutation to add a connection: consent happens in the provider's portal. */
export function NewConnectionPage({ tenantId }: { tenantId: string }) {
  return (
    <Stack>
      <Title order={1}>Add a provider connection</Title>
      <Card withBorder maw={720}>
        <Text>
          Connections are created when a tenant administrator grants admin consent to the atlas-gate application in
          Microsoft Entra; atlas-gate's API has no mutation to add one, so this console cannot either.
        </Text>
      </Card>
      <Text size="sm">
        <Link to={`/tenants/${tenantId}/provider-connections`}>Back to the connections</Link>
      </Text>
    </Stack>
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
    <Stack gap="sm">
      <DataList labelWidth={140}>
        <DataList.Item>
          <DataList.ItemLabel>Provider</DataList.ItemLabel>
          <DataList.ItemValue data-provider={connection.provider}>
            {providerName(connection.provider)}
          </DataList.ItemValue>
        </DataList.Item>
        <DataList.Item>
          <DataList.ItemLabel>State</DataList.ItemLabel>
          <DataList.ItemValue data-testid="connection-enabled">
            <Badge variant="light" tt="none" radius="sm" color={connection.enabled ? 'green' : 'gray'}>
              {connection.enabled ? 'Enabled' : 'Disabled'}
            </Badge>
          </DataList.ItemValue>
        </DataList.Item>
        <DataList.Item>
          <DataList.ItemLabel>Default</DataList.ItemLabel>
          <DataList.ItemValue data-testid="connection-default">
            {connection.isDefault ? (
              <Badge variant="light" tt="none" radius="sm" color="indigo">
                Default connection
              </Badge>
            ) : (
              <Text size="sm" c="dimmed" span>
                Not the default
              </Text>
            )}
          </DataList.ItemValue>
        </DataList.Item>
        <DataList.Item>
          <DataList.ItemLabel>Credentials</DataList.ItemLabel>
          <DataList.ItemValue>
            <StatusBadge status={connection.credentialState} looks={CREDENTIAL_STATE} testId="connection-credentials" />
          </DataList.ItemValue>
        </DataList.Item>
        <DataList.Item>
          <DataList.ItemLabel>Last checked</DataList.ItemLabel>
          <DataList.ItemValue>
            {connection.checkedAt ? <Time value={connection.checkedAt} /> : 'never'}
          </DataList.ItemValue>
        </DataList.Item>
      </DataList>
      <Group gap="xs" align="center">
        <Button
          size="xs"
          variant={connection.enabled ? 'default' : 'filled'}
          disabled={!canManage || enabling.fetching}
          aria-describedby={notManager}
          onClick={async () => {
            await setEnabled({ id: connection.id, enabled: !connection.enabled });
            onChange();
          }}
        >
          {connection.enabled ? 'Disable connection' : 'Enable connection'}
        </Button>
        <Button
          size="xs"
          variant="light"
          disabled={!canManage || connection.isDefault || defaulting.fetching}
          aria-describedby={notManager}
          onClick={async () => {
            await setDefault({ id: connection.id });
            onChange();
          }}
        >
          Make default
        </Button>
        {notManager && (
          <Text id={notManager} size="sm" c="dimmed" span>
            Only owners and managers can change connections.
          </Text>
        )}
      </Group>
      {failure && (
        <Text role="alert" c="var(--mantine-color-red-light-color)" size="sm">
          {apiMessage(failure)}
        </Text>
      )}
      <div>
        <StartButton preview={connection.checkPreview} target={{ tenantId, providerConnectionId: connection.id }} />
      </div>
    </Stack>
  );
}
