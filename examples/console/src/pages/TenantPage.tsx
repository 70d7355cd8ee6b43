// A tenant: one start control per operation, enabled or disabled from startPreviews and kept live by
// startPreviewsChanged; a connection picker (the default preselected) that pins another connection
// for the starts and shows their previews for it; its restore runs and provider connections,
// refreshed on each of its run events. `?connection=choose` (the "Choose another connection" next
// step) opens the picker.
import { Card, Group, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { routePath } from '../../../../src/operations/routes';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';
import { CREDENTIAL_STATE, RESTORE_STATUS, StatusBadge, TENANT_STATUS, Time } from '../ui';

const TenantQuery = graphql(`
  query ConsoleTenant($id: ID!, $connectionId: ID) {
    tenant(id: $id) {
      id name status verifiedAt directoryGroupCount roleDefinitionCount
      workspace { id name }
      startPreviews(providerConnectionId: $connectionId) { ...ConsoleStartPreview }
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

const wantsChoice = () => new URLSearchParams(window.location.search).get('connection') === 'choose';

export function TenantPage({ id }: { id: string }) {
  // null: the tenant's default connection (what a start without providerConnectionId pins).
  const [pinned, setPinned] = useState<string | null>(null);
  const [choosing, setChoosing] = useState(wantsChoice);
  const picker = useRef<HTMLInputElement>(null);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: TenantQuery,
    variables: { id, connectionId: pinned },
  });
  const [live] = useSubscription({ query: PreviewsChanged, variables: { tenantId: id } });
  useRunEvents({ tenantId: id }, () => refetch({ requestPolicy: 'network-only' }));
  // A next step to this very page (same path, ?connection=choose) opens the picker again.
  useEffect(() => {
    const onPop = () => setChoosing(wantsChoice());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  useEffect(() => {
    if (choosing && data) picker.current?.focus();
  }, [choosing, data]);
  // The live previews are the default connection's: a pinned connection's come from the query
  // (read again on each of the tenant's run events).
  const previews = (!pinned && live.data?.startPreviewsChanged) || data?.tenant?.startPreviews || [];
  if (error) return <Text role="alert">Could not load the tenant: {error.message}</Text>;
  if (!data) return <Text>{fetching ? 'Loading tenant…' : 'No data.'}</Text>;
  const { tenant } = data;
  if (!tenant) return <Text role="alert">No such tenant in your workspaces.</Text>;
  const defaultConnection = tenant.providerConnections.find((c) => c.isDefault);
  const choices = tenant.providerConnections.map((c) => ({
    value: c.id,
    label: `${c.displayName}${c.isDefault ? ' (default)' : ''}${c.enabled ? '' : ' (disabled)'}`,
  }));
  return (
    <Stack>
      <div>
        <Group gap="sm" align="center">
          <Title order={1}>{tenant.name}</Title>
          <StatusBadge status={tenant.status} looks={TENANT_STATUS} testId="tenant-status" />
        </Group>
        <Text c="dimmed" size="sm">
          {tenant.workspace.name} ·{' '}
          {tenant.verifiedAt ? (
            <>
              verified <Time value={tenant.verifiedAt} />
            </>
          ) : (
            'not verified yet'
          )}{' '}
          · {tenant.directoryGroupCount} groups, {tenant.roleDefinitionCount} role definitions
        </Text>
      </div>
      <Group component="nav" aria-label="Tenant pages" gap="md">
        <Link to={`/tenants/${tenant.id}/provider-connections`}>Provider connections</Link>
        <Link to={`/tenants/${tenant.id}/schedules`}>Schedules</Link>
        <Link to={`/tenants/${tenant.id}/onboarding`}>Onboarding</Link>
        <Link to={routePath('tenantRuns', { tenantId: tenant.id })}>Runs of this tenant</Link>
        <Link to={routePath('verification', { tenantId: tenant.id })}>Verification report</Link>
      </Group>
      {live.error && <Text role="alert">Live updates lost: {live.error.message}</Text>}
      <Card withBorder component="section" aria-labelledby="operations-heading">
        <Group justify="space-between" align="end" mb="sm" wrap="wrap">
          <Title order={2} size="h3" id="operations-heading">
            Operations
          </Title>
          {tenant.providerConnections.length > 0 && (
            <Select
              ref={picker}
              label="Connection"
              description="The connection the starts below pin"
              data={choices}
              value={pinned ?? defaultConnection?.id ?? null}
              placeholder="No default connection"
              dropdownOpened={choosing}
              onDropdownOpen={() => setChoosing(true)}
              onDropdownClose={() => setChoosing(false)}
              onChange={(value) => {
                setPinned(value && value !== defaultConnection?.id ? value : null);
                setChoosing(false);
              }}
              allowDeselect={false}
              w={300}
            />
          )}
        </Group>
        <Stack gap="xs" component="ul" aria-label="Operations" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {previews.map((preview) => (
            <li key={preview.type}>
              <StartButton
                preview={preview}
                target={{ tenantId: tenant.id, providerConnectionId: pinned ?? undefined }}
              />
            </li>
          ))}
        </Stack>
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder component="section" aria-labelledby="restore-heading">
          <Title order={2} size="h3" id="restore-heading" mb="sm">
            Restore runs
          </Title>
          {tenant.restoreRuns.length === 0 ? (
            <Text c="dimmed">No restore runs.</Text>
          ) : (
            <Table aria-label="Restore runs">
              <Table.Tbody>
                {tenant.restoreRuns.map((restore) => (
                  <Table.Tr key={restore.id}>
                    <Table.Td>
                      <Link to={`/tenants/${tenant.id}/restore-runs/${restore.id}`}>{restore.name}</Link>
                    </Table.Td>
                    <Table.Td>
                      <StatusBadge status={restore.status} looks={RESTORE_STATUS} />
                    </Table.Td>
                    <Table.Td>{restore.itemCount} items</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
        <Card withBorder component="section" aria-labelledby="connections-heading">
          <Title order={2} size="h3" id="connections-heading" mb="sm">
            Provider connections
          </Title>
          {tenant.providerConnections.length === 0 ? (
            <Text>
              No provider connection. <Link to={`/tenants/${tenant.id}/provider-connections/new`}>Add one</Link>
            </Text>
          ) : (
            <Table aria-label="Provider connections">
              <Table.Tbody>
                {tenant.providerConnections.map((connection) => (
                  <Table.Tr key={connection.id}>
                    <Table.Td>
                      <Link to={`/tenants/${tenant.id}/provider-connections/${connection.id}`}>
                        {connection.displayName}
                      </Link>
                      {connection.isDefault && ' (default)'}
                    </Table.Td>
                    <Table.Td>{connection.enabled ? 'Enabled' : 'Disabled'}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={connection.credentialState} looks={CREDENTIAL_STATE} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
