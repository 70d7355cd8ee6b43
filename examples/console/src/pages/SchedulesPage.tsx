// A tenant's schedules (docs/behaviour.md#schedules): list with last outcome, create, enable/disable, delete;
// refetched after each change, after each run a schedule started moves, and when the next firing is due.
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  NativeSelect,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { type CombinedError, useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { ConsoleScheduleRowFragment, OperationType, Role, StartStatus } from '../gql/graphql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { apiMessage } from '../starts';
import { CronText, RunStatus, StatusBadge, Time, Scrollable } from '../ui';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a firing's start answered, in words (the badge's data-status keeps the API's value). */
const START_STATUS: Record<StartStatus, { label: string; color: string }> = {
  QUEUED: { label: 'Queued', color: 'blue' },
  ALREADY_RUNNING: { label: 'Already running', color: 'cyan' },
  SCOPE_BUSY: { label: 'Scope busy', color: 'yellow' },
  BLOCKED: { label: 'Blocked', color: 'orange' },
};

const ROLE: Record<Role, string> = {
  OWNER: 'Owner',
  MANAGER: 'Manager',
  OPERATOR: 'Operator',
  READONLY: 'Read-only',
};

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

graphql(`
  fragment ConsoleScheduleRow on Schedule {
    id type cron timezone enabled nextRunAt firings
    providerConnection { id displayName }
    lastOutcome { status message at run { id label status url } }
    pausedReason { code message }
  }
`);

const PageQuery = graphql(`
  query ConsoleSchedulesPage($tenantId: ID!) {
    operationTypes { type label schedulable needsConnection }
    tenant(id: $tenantId) {
      id name viewerRole viewerCanManageSchedules
      providerConnections { id displayName isDefault }
    }
  }
`);

const SchedulesQuery = graphql(`
  query ConsoleTenantSchedules($tenantId: ID!) {
    tenant(id: $tenantId) { id schedules { ...ConsoleScheduleRow } }
  }
`);

const CreateSchedule = graphql(`
  mutation ConsoleCreateSchedule($input: CreateScheduleInput!) {
    createSchedule(input: $input) { ...ConsoleScheduleRow }
  }
`);

const SetScheduleEnabled = graphql(`
  mutation ConsoleSetScheduleEnabled($id: ID!, $enabled: Boolean!) {
    updateSchedule(id: $id, input: { enabled: $enabled }) { ...ConsoleScheduleRow }
  }
`);

const DeleteSchedule = graphql(`
  mutation ConsoleDeleteSchedule($id: ID!) {
    deleteSchedule(id: $id)
  }
`);

type Connection = { id: string; displayName: string; isDefault: boolean };

export function SchedulesPage({ tenantId }: { tenantId: string }) {
  const [page] = useQuery({ query: PageQuery, variables: { tenantId } });
  const [list, reexecute] = useQuery({ query: SchedulesQuery, variables: { tenantId } });
  const refresh = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const liveError = useRefetchOnFirings(tenantId, list.data, refresh);

  const error = page.error ?? list.error;
  if (error)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        Could not load schedules: {error.message}
      </Text>
    );
  if (!page.data || !list.data) return <Text>Loading schedules…</Text>;
  const tenant = page.data.tenant;
  if (!tenant || !list.data.tenant)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        No such tenant in your workspaces.
      </Text>
    );

  const role = tenant.viewerRole;
  const canManage = tenant.viewerCanManageSchedules;
  const schedulable = page.data.operationTypes.filter((o) => o.schedulable).map((o) => o.type);
  // A type that targets a connection (the connection check) has no "tenant default" choice.
  const connectionTypes = new Set(page.data.operationTypes.filter((o) => o.needsConnection).map((o) => o.type));
  const pinsConnection = (type: OperationType) => connectionTypes.has(type);
  const labels = new Map(page.data.operationTypes.map((o) => [o.type, o.label]));
  const labelOf = (type: OperationType) => labels.get(type) ?? type;
  const schedules = list.data.tenant.schedules;
  return (
    <Stack>
      <div>
        <Title order={1}>Schedules · {tenant.name}</Title>
        <Text size="sm">
          <Link to={`/tenants/${tenant.id}`}>Back to {tenant.name}</Link>
        </Text>
      </div>
      {liveError && (
        <Text role="alert" c="var(--mantine-color-red-light-color)">
          Live updates lost: {liveError.message}
        </Text>
      )}
      {!canManage && (
        <Alert id="schedules-read-only" role="note" color="gray" variant="light">
          Schedules can only be created, changed or deleted by owners and managers (your role:{' '}
          {role ? ROLE[role] : 'none'}).
        </Alert>
      )}
      <Card withBorder padding={0}>
        {schedules.length === 0 ? (
          <Text c="dimmed" p="md">
            No schedules yet.
          </Text>
        ) : (
          <Scrollable minWidth={1000} label="Schedules table">
            <Table aria-label="Schedules" verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Operation</Table.Th>
                  <Table.Th>Cron</Table.Th>
                  <Table.Th>Time zone</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Next run</Table.Th>
                  <Table.Th ta="right">Firings</Table.Th>
                  <Table.Th>Last outcome</Table.Th>
                  <Table.Th>Connection</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {schedules.map((schedule) => (
                  <ScheduleRow
                    key={schedule.id}
                    schedule={schedule}
                    label={labelOf(schedule.type)}
                    canManage={canManage}
                    onChanged={refresh}
                  />
                ))}
              </Table.Tbody>
            </Table>
          </Scrollable>
        )}
      </Card>
      {canManage && (
        <NewScheduleForm
          tenantId={tenant.id}
          types={schedulable.filter((type) => !pinsConnection(type) || tenant.providerConnections.length > 0)}
          labelOf={labelOf}
          pinsConnection={pinsConnection}
          connections={tenant.providerConnections}
          onCreated={refresh}
        />
      )}
    </Stack>
  );
}

/**
 * Firings happen in the worker, so the page refetches when a run a schedule started
 * moves, and once the earliest next firing is due (a deduped firing starts no run; nextRunAt moves on).
 * Returns the subscription's error, if the live updates are lost.
 */
function useRefetchOnFirings(
  tenantId: string,
  data: { tenant: { schedules: ConsoleScheduleRowFragment[] } | null } | undefined,
  refresh: () => void,
) {
  // Each event of a run a schedule started: a firing, or a firing's run moving on.
  const liveError = useRunEvents({ tenantId }, refresh, (run) => run.schedule !== null);

  useEffect(() => {
    const due = (data?.tenant?.schedules ?? [])
      .flatMap((s) => (s.enabled && s.nextRunAt ? [Date.parse(s.nextRunAt)] : []))
      .sort((a, b) => a - b)[0];
    if (due === undefined || due - Date.now() > DAY_MS) return;
    const timer = setTimeout(refresh, Math.max(due - Date.now() + 500, 1000));
    return () => clearTimeout(timer);
  }, [data, refresh]);
  return liveError;
}

function ScheduleRow({
  schedule,
  label,
  canManage,
  onChanged,
}: {
  schedule: ConsoleScheduleRowFragment;
  label: string;
  canManage: boolean;
  onChanged: () => void;
}) {
  const [toggle, setEnabled] = useMutation(SetScheduleEnabled);
  const [removal, remove] = useMutation(DeleteSchedule);
  const [confirming, setConfirming] = useState(false);
  const busy = toggle.fetching || removal.fetching;
  const readOnly = canManage ? undefined : 'schedules-read-only';
  const error = toggle.error ?? removal.error;
  const outcome = schedule.lastOutcome;
  const paused = schedule.pausedReason;
  const change = async (done: Promise<{ error?: CombinedError }>) => {
    if (!(await done).error) onChanged();
  };
  return (
    <Table.Tr data-schedule-id={schedule.id}>
      <Table.Td fw={500}>{label}</Table.Td>
      <Table.Td maw={260}>
        <Text size="sm">
          <CronText cron={schedule.cron} />
        </Text>
      </Table.Td>
      <Table.Td>{schedule.timezone}</Table.Td>
      <Table.Td data-testid="schedule-state" maw={240}>
        <Badge
          variant="light"
          tt="none"
          radius="sm"
          color={paused ? 'orange' : schedule.enabled ? 'green' : 'gray'}
          data-state={paused ? 'PAUSED' : schedule.enabled ? 'ENABLED' : 'DISABLED'}
        >
          {paused ? 'Paused' : schedule.enabled ? 'Enabled' : 'Disabled'}
        </Badge>
        {paused && (
          // Why it stopped firing (an archived tenant, no connection): Resume re-checks and lifts it.
          <Text size="xs" c="dimmed" mt={4} data-testid="schedule-paused-reason" data-reason-code={paused.code}>
            {capitalize(paused.message)}. Fix the cause, then Resume.
          </Text>
        )}
      </Table.Td>
      <Table.Td data-testid="schedule-next-run">
        {schedule.nextRunAt ? (
          <Text size="sm" span>
            <Time value={schedule.nextRunAt} />
          </Text>
        ) : (
          '—'
        )}
      </Table.Td>
      <Table.Td data-testid="schedule-firings" ta="right">
        {schedule.firings}
      </Table.Td>
      <Table.Td data-testid="schedule-last-outcome" maw={320}>
        {outcome ? (
          <Stack gap={4}>
            <Group gap="xs" align="center">
              <StatusBadge status={outcome.status} looks={START_STATUS} testId="schedule-outcome-status" />
              <Text size="sm">{outcome.message}</Text>
            </Group>
            <Text size="xs" c="dimmed">
              <Time value={outcome.at} />
            </Text>
            {outcome.run && (
              <Group gap="xs" align="center">
                <Text size="sm" span>
                  <Link to={outcome.run.url}>Open run</Link>
                </Text>
                <RunStatus status={outcome.run.status} />
              </Group>
            )}
          </Stack>
        ) : (
          <Text size="sm" c="dimmed" span>
            Never fired
          </Text>
        )}
      </Table.Td>
      <Table.Td>{schedule.providerConnection?.displayName ?? 'Tenant default'}</Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          <Button
            size="xs"
            variant={paused || !schedule.enabled ? 'light' : 'default'}
            disabled={!canManage || busy}
            aria-describedby={readOnly}
            onClick={() => change(setEnabled({ id: schedule.id, enabled: paused ? true : !schedule.enabled }))}
          >
            {paused ? 'Resume' : schedule.enabled ? 'Disable' : 'Enable'}
          </Button>
          {confirming ? (
            <>
              <Button size="xs" color="red" disabled={busy} onClick={() => change(remove({ id: schedule.id }))}>
                Confirm delete
              </Button>
              <Button size="xs" variant="default" disabled={busy} onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </>
          ) : (
            <Button
              size="xs"
              color="red"
              variant="subtle"
              disabled={!canManage || busy}
              aria-describedby={readOnly}
              onClick={() => setConfirming(true)}
            >
              Delete
            </Button>
          )}
        </Group>
        {error && (
          <Text role="alert" c="var(--mantine-color-red-light-color)" size="sm" mt={4}>
            {apiMessage(error)}
          </Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function NewScheduleForm({
  tenantId,
  types,
  labelOf,
  pinsConnection,
  connections,
  onCreated,
}: {
  tenantId: string;
  types: OperationType[];
  labelOf: (type: OperationType) => string;
  pinsConnection: (type: OperationType) => boolean;
  connections: Connection[];
  onCreated: () => void;
}) {
  const [created, create] = useMutation(CreateSchedule);
  const [type, setType] = useState<OperationType>(types[0]);
  const [cron, setCron] = useState('');
  const [timezone, setTimezone] = useState('UTC');
  const [connectionId, setConnectionId] = useState('');
  // A connection check checks one connection: it has no "tenant default" choice.
  const needsConnection = pinsConnection(type);
  const pinned = needsConnection && !connectionId ? (connections[0]?.id ?? '') : connectionId;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = { tenantId, type, cron, timezone, providerConnectionId: pinned || null };
    const result = await create({ input });
    if (result.error) return;
    setCron('');
    onCreated();
  };
  return (
    <form aria-label="New schedule" aria-describedby="new-schedule-result" onSubmit={submit}>
      <Card withBorder>
        <Stack gap="sm">
          <Title order={2} size="h3">
            New schedule
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <NativeSelect
              label="Operation"
              value={type}
              onChange={(event) => setType(event.currentTarget.value as OperationType)}
              data={types.map((t) => ({ value: t, label: labelOf(t) }))}
            />
            <NativeSelect
              label="Connection"
              value={pinned}
              onChange={(event) => setConnectionId(event.currentTarget.value)}
              data={[
                ...(needsConnection ? [] : [{ value: '', label: 'Tenant default' }]),
                ...connections.map((c) => ({
                  value: c.id,
                  label: `${c.displayName}${c.isDefault ? ' (default)' : ''}`,
                })),
              ]}
            />
            <TextInput
              label="Cron"
              value={cron}
              required
              placeholder="0 2 * * *"
              ff="monospace"
              description="Five fields (minute hour day-of-month month day-of-week), or six with seconds first; numbers, *, ranges, lists and steps."
              descriptionProps={{ id: 'cron-help' }}
              inputWrapperOrder={['label', 'input', 'description']}
              onChange={(event) => setCron(event.currentTarget.value)}
            />
            <TextInput
              label="Time zone"
              value={timezone}
              required
              description="An IANA name such as Europe/Zurich."
              inputWrapperOrder={['label', 'input', 'description']}
              onChange={(event) => setTimezone(event.currentTarget.value)}
            />
          </SimpleGrid>
          {cron.trim() && (
            <Text size="sm" c="dimmed">
              Fires: <CronText cron={cron.trim()} timezone={timezone} />
            </Text>
          )}
          <Group>
            <Button type="submit" loading={created.fetching}>
              Create schedule
            </Button>
          </Group>
          <div id="new-schedule-result">
            {created.error && (
              <Text role="alert" c="var(--mantine-color-red-light-color)" size="sm">
                {apiMessage(created.error)}
              </Text>
            )}
            {created.data && !created.error && (
              <Text role="status" c="var(--mantine-color-green-light-color)" size="sm">
                Schedule created.
              </Text>
            )}
          </div>
        </Stack>
      </Card>
    </form>
  );
}
