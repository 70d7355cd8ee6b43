// A tenant's schedules (docs/behaviour.md#schedules): list with last outcome, create, enable/disable, delete;
// refetched after each change, after each run a schedule started moves, and when the next firing is due.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { type CombinedError, useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { ConsoleScheduleRowFragment, OperationType } from '../gql/graphql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { apiMessage } from '../starts';

const DAY_MS = 24 * 60 * 60 * 1000;

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
  if (error) return <p role="alert">Could not load schedules: {error.message}</p>;
  if (!page.data || !list.data) return <p>Loading schedules…</p>;
  const tenant = page.data.tenant;
  if (!tenant || !list.data.tenant) return <p role="alert">No such tenant in your workspaces.</p>;

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
    <>
      <h1>Schedules · {tenant.name}</h1>
      <p>
        <Link to={`/tenants/${tenant.id}`}>Back to {tenant.name}</Link>
      </p>
      {liveError && <p role="alert">Live updates lost: {liveError.message}</p>}
      {!canManage && (
        <p id="schedules-read-only">
          Schedules can only be created, changed or deleted by owners and managers (your role: {role ?? 'none'}).
        </p>
      )}
      {schedules.length === 0 ? (
        <p>No schedules yet.</p>
      ) : (
        <table aria-label="Schedules">
          <thead>
            <tr>
              <th>Operation</th>
              <th>Cron</th>
              <th>Time zone</th>
              <th>State</th>
              <th>Next run</th>
              <th>Firings</th>
              <th>Last outcome</th>
              <th>Connection</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {schedules.map((schedule) => (
              <ScheduleRow
                key={schedule.id}
                schedule={schedule}
                label={labelOf(schedule.type)}
                canManage={canManage}
                onChanged={refresh}
              />
            ))}
          </tbody>
        </table>
      )}
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
    </>
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
    <tr data-schedule-id={schedule.id}>
      <td>{label}</td>
      <td>
        <code style={{ whiteSpace: 'nowrap' }}>{schedule.cron}</code>
      </td>
      <td>{schedule.timezone}</td>
      <td data-testid="schedule-state">
        {paused ? 'Paused' : schedule.enabled ? 'Enabled' : 'Disabled'}
        {paused && (
          // Why it stopped firing (an archived tenant, no connection): Resume re-checks and lifts it.
          <p data-testid="schedule-paused-reason">
            {paused.message} ({paused.code}). Fix the cause, then Resume.
          </p>
        )}
      </td>
      <td data-testid="schedule-next-run">{schedule.nextRunAt ?? '—'}</td>
      <td data-testid="schedule-firings">{schedule.firings}</td>
      <td data-testid="schedule-last-outcome">
        {outcome ? (
          <>
            {outcome.status}: {outcome.message} ({outcome.at})
            {outcome.run && (
              <>
                {' '}
                · <Link to={outcome.run.url}>Open run ({outcome.run.status})</Link>
              </>
            )}
          </>
        ) : (
          'Never fired'
        )}
      </td>
      <td>{schedule.providerConnection?.displayName ?? 'Tenant default'}</td>
      <td>
        <button
          type="button"
          disabled={!canManage || busy}
          aria-describedby={readOnly}
          onClick={() => change(setEnabled({ id: schedule.id, enabled: paused ? true : !schedule.enabled }))}
        >
          {paused ? 'Resume' : schedule.enabled ? 'Disable' : 'Enable'}
        </button>{' '}
        {confirming ? (
          <>
            <button type="button" disabled={busy} onClick={() => change(remove({ id: schedule.id }))}>
              Confirm delete
            </button>{' '}
            <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button
            type="button"
            disabled={!canManage || busy}
            aria-describedby={readOnly}
            onClick={() => setConfirming(true)}
          >
            Delete
          </button>
        )}
        {error && <p role="alert">{apiMessage(error)}</p>}
      </td>
    </tr>
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
      <h2>New schedule</h2>
      <label>
        Operation{' '}
        <select value={type} onChange={(event) => setType(event.target.value as OperationType)}>
          {types.map((t) => (
            <option key={t} value={t}>
              {labelOf(t)}
            </option>
          ))}
        </select>
      </label>{' '}
      <label>
        Cron{' '}
        <input
          value={cron}
          required
          placeholder="0 2 * * *"
          aria-describedby="cron-help"
          onChange={(event) => setCron(event.target.value)}
        />
      </label>{' '}
      <label>
        Time zone <input value={timezone} required onChange={(event) => setTimezone(event.target.value)} />
      </label>{' '}
      <label>
        Connection{' '}
        <select value={pinned} onChange={(event) => setConnectionId(event.target.value)}>
          {!needsConnection && <option value="">Tenant default</option>}
          {connections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.displayName}
              {c.isDefault ? ' (default)' : ''}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="submit" disabled={created.fetching}>
        Create schedule
      </button>
      <p id="cron-help">
        Five fields (minute hour day-of-month month day-of-week), or six with seconds first; numbers, *, ranges, lists
        and steps. The time zone is an IANA name such as Europe/Zurich.
      </p>
      <div id="new-schedule-result">
        {created.error && <p role="alert">{apiMessage(created.error)}</p>}
        {created.data && !created.error && <p role="status">Schedule created.</p>}
      </div>
    </form>
  );
}
