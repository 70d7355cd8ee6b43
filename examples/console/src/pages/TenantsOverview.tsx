// Tenants of the signed-in user's workspaces, each with its start buttons: one batched read of every
// tenant's startPreviews, then each row kept live by its own startPreviewsChanged subscription.
// Bulk: tick tenants, pick an operation, start it on all of them at once (startOperations); each
// row then shows its own answer through the same presenter as a single start.
import { Button, Checkbox, Group, List, Modal, Paper, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { type CombinedError, useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type { ConsoleOverviewTenantFragment, ConsoleStartResultFragment, OperationType } from '../gql/graphql';
import { Link } from '../router';
import { StartControls, StartResultView } from '../start-result';
import { apiMessage } from '../starts';
import { StatusBadge, TENANT_STATUS, Scrollable } from '../ui';

graphql(`
  fragment ConsoleOverviewTenant on Tenant {
    id name status workspace { id name }
    startPreviews { ...ConsoleStartPreview }
  }
`);

const TenantsQuery = graphql(`
  query ConsoleTenants {
    me { id email displayName }
    tenants { ...ConsoleOverviewTenant }
    operationTypes { type label target }
  }
`);

const RowPreviews = graphql(`
  subscription ConsoleOverviewPreviews($tenantId: ID!) {
    startPreviewsChanged(tenantId: $tenantId) { ...ConsoleStartPreview }
  }
`);

const BulkStart = graphql(`
  mutation ConsoleBulkStart($type: OperationType!, $targetIds: [ID!]!) {
    startOperations(type: $type, targetIds: $targetIds) { ...ConsoleStartResult }
  }
`);

/** A row's answer to the last bulk start: the StartResult, or the API's error for that tenant. */
type Answer = { result?: ConsoleStartResultFragment; error?: string };

/** The answers by tenant: results in the targets' order, errors at their index (errors[].path). */
function answersOf(
  targetIds: string[],
  results: (ConsoleStartResultFragment | null)[] | undefined,
  error: CombinedError | undefined,
): Map<string, Answer> {
  const answers = new Map<string, Answer>();
  targetIds.forEach((id, i) => {
    const result = results?.[i];
    if (result) answers.set(id, { result });
  });
  for (const e of error?.graphQLErrors ?? []) {
    const index = e.path?.[1];
    if (typeof index === 'number' && targetIds[index]) answers.set(targetIds[index], { error: e.message });
  }
  // A refusal of the whole request (rate limit, too many targets): every row says so.
  if (error && answers.size === 0) for (const id of targetIds) answers.set(id, { error: apiMessage(error) });
  return answers;
}

export function TenantsOverview() {
  const [{ data, fetching, error }] = useQuery({ query: TenantsQuery });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [type, setType] = useState<OperationType | null>(null);
  const [answers, setAnswers] = useState<Map<string, Answer>>(new Map());
  const [bulk, startBulk] = useMutation(BulkStart);
  const [confirming, setConfirming] = useState(false);
  const tenantTypes = useMemo(() => (data?.operationTypes ?? []).filter((t) => t.target === 'TENANT'), [data]);
  if (error) return <Text role="alert">Could not load tenants: {error.message}</Text>;
  if (!data) return <Text>{fetching ? 'Loading tenants…' : 'No data.'}</Text>;
  const all = data.tenants.map((t) => t.id);
  const toggle = (id: string, on: boolean) =>
    setSelected((now) => {
      const next = new Set(now);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const operationLabel = tenantTypes.find((t) => t.type === type)?.label ?? 'Operation';
  const startSelected = async () => {
    if (!type) return;
    const targetIds = all.filter((id) => selected.has(id));
    const { data: started, error: failed } = await startBulk({ type, targetIds });
    setAnswers(answersOf(targetIds, started?.startOperations, failed));
  };
  return (
    <Stack>
      <Title order={1}>Tenants</Title>
      <Text c="dimmed">
        Signed in as {data.me.displayName} ({data.me.email})
      </Text>
      {data.tenants.length === 0 ? (
        <Text>No tenants in your workspaces.</Text>
      ) : (
        <>
          <Paper withBorder p="sm" component="section" aria-label="Start on selected tenants">
            <Group gap="sm" align="end" wrap="wrap">
              <Select
                label="Operation"
                placeholder="Choose an operation"
                data={tenantTypes.map((t) => ({ value: t.type, label: t.label }))}
                value={type}
                onChange={(value) => setType(value as OperationType | null)}
                w={240}
              />
              <Button
                onClick={() => setConfirming(true)}
                disabled={!type || selected.size === 0}
                loading={bulk.fetching}
              >
                Start on {selected.size} selected
              </Button>
              <Text size="sm" c="dimmed">
                Each tenant is decided on its own (queued, already running, scope busy or blocked) and answers in its
                row.
              </Text>
            </Group>
          </Paper>
          <Modal
            opened={confirming}
            onClose={() => setConfirming(false)}
            title={`Start ${operationLabel} on ${selected.size} tenant${selected.size === 1 ? '' : 's'}?`}
            centered
          >
            <Text size="sm">Each tenant's start is decided on its own, as if you had started it there:</Text>
            <List size="sm" my="sm">
              {data.tenants
                .filter((t) => selected.has(t.id))
                .map((t) => (
                  <List.Item key={t.id}>{t.name}</List.Item>
                ))}
            </List>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setConfirming(false)}>
                Back
              </Button>
              <Button
                onClick={() => {
                  setConfirming(false);
                  startSelected();
                }}
              >
                Start {selected.size}
              </Button>
            </Group>
          </Modal>
          <Scrollable minWidth={760} label="Tenants table">
            <Table aria-label="Tenants" verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={40}>
                    <Checkbox
                      aria-label="Select all tenants"
                      checked={selected.size === all.length}
                      indeterminate={selected.size > 0 && selected.size < all.length}
                      onChange={(event) => setSelected(new Set(event.currentTarget.checked ? all : []))}
                    />
                  </Table.Th>
                  <Table.Th>Tenant</Table.Th>
                  <Table.Th miw={120}>Status</Table.Th>
                  <Table.Th>Workspace</Table.Th>
                  <Table.Th>Operations</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.tenants.map((tenant) => (
                  <TenantRow
                    key={tenant.id}
                    tenant={tenant}
                    selected={selected.has(tenant.id)}
                    onSelect={(on) => toggle(tenant.id, on)}
                    answer={answers.get(tenant.id)}
                  />
                ))}
              </Table.Tbody>
            </Table>
          </Scrollable>
        </>
      )}
    </Stack>
  );
}

function TenantRow({
  tenant,
  selected,
  onSelect,
  answer,
}: {
  tenant: ConsoleOverviewTenantFragment;
  selected: boolean;
  onSelect: (on: boolean) => void;
  answer: Answer | undefined;
}) {
  const [live] = useSubscription({ query: RowPreviews, variables: { tenantId: tenant.id } });
  const previews = live.data?.startPreviewsChanged ?? tenant.startPreviews;
  return (
    <Table.Tr aria-label={tenant.name} data-tenant-id={tenant.id}>
      <Table.Td>
        <Checkbox
          aria-label={`Select ${tenant.name}`}
          checked={selected}
          onChange={(event) => onSelect(event.currentTarget.checked)}
        />
      </Table.Td>
      <Table.Th scope="row">
        <Link to={`/tenants/${tenant.id}`}>{tenant.name}</Link>
      </Table.Th>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <StatusBadge status={tenant.status} looks={TENANT_STATUS} />
      </Table.Td>
      <Table.Td>{tenant.workspace.name}</Table.Td>
      <Table.Td>
        <Stack gap={4}>
          <StartControls previews={previews} target={{ tenantId: tenant.id }} />
          {live.error && <Text role="alert"> Live updates lost: {live.error.message}</Text>}
          {answer && (
            <Paper withBorder p={6} role="group" data-testid="bulk-answer" aria-label={`Bulk start on ${tenant.name}`}>
              {answer.result ? <StartResultView result={answer.result} /> : <Text size="sm">{answer.error}</Text>}
            </Paper>
          )}
        </Stack>
      </Table.Td>
    </Table.Tr>
  );
}
