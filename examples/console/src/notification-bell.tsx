// The notification bell: the signed-in user's notifications (myNotifications live), unread count, mark read;
// it lives outside the remounted page, so it refetches itself after a reconnect to catch up.
import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from './gql';
import type { ConsoleNotificationFragment } from './gql/graphql';
import { Link } from './router';
import { apiMessage } from './starts';

const RECENT = 20;
/** The unread count is exact up to this many (the API's largest page). */
const UNREAD_MAX = 200;
const PANEL_ID = 'notifications-list';

graphql(`
  fragment ConsoleNotification on Notification { id title body url readAt createdAt }
`);

const NotificationsQuery = graphql(`
  query ConsoleNotifications($first: Int!, $unreadMax: Int!) {
    recent: notifications(first: $first) { ...ConsoleNotification }
    unread: notifications(first: $unreadMax, unreadOnly: true) { id }
  }
`);

const NotificationAdded = graphql(`
  subscription ConsoleMyNotifications {
    myNotifications { ...ConsoleNotification }
  }
`);

const MarkRead = graphql(`
  mutation ConsoleMarkNotificationRead($id: ID!) {
    markNotificationRead(id: $id) { id readAt }
  }
`);

/** Notifications that arrived live, newest first. */
const collect = (seen: ConsoleNotificationFragment[] = [], event: { myNotifications: ConsoleNotificationFragment }) => [
  event.myNotifications,
  ...seen.filter((n) => n.id !== event.myNotifications.id),
];

/** `reconnects` counts WebSocket reconnects: each one refetches what arrived while it was lost. */
export function NotificationBell({ reconnects }: { reconnects: number }) {
  const [{ data, error }, refetch] = useQuery({
    query: NotificationsQuery,
    variables: { first: RECENT, unreadMax: UNREAD_MAX },
  });
  const [live] = useSubscription({ query: NotificationAdded }, collect);
  const [open, setOpen] = useState(false);
  // readAt from Mark read answers, shown before the query's refetch brings it.
  const [readNow, setReadNow] = useState<Record<string, string>>({});

  const caughtUp = useRef(reconnects);
  useEffect(() => {
    if (caughtUp.current === reconnects) return;
    caughtUp.current = reconnects;
    refetch({ requestPolicy: 'network-only' });
  }, [reconnects, refetch]);

  const listed = data?.recent ?? [];
  const arrived = (live.data ?? []).filter((n) => !listed.some((row) => row.id === n.id));
  const items = [...arrived, ...listed].map((n) => (readNow[n.id] ? { ...n, readAt: readNow[n.id] } : n));
  const unreadIds = new Set([
    ...(data?.unread ?? []).map((n) => n.id),
    ...arrived.filter((n) => !n.readAt).map((n) => n.id),
  ]);
  for (const id of Object.keys(readNow)) unreadIds.delete(id);
  const more = (data?.unread.length ?? 0) >= UNREAD_MAX ? '+' : '';

  return (
    <span>
      <button type="button" aria-expanded={open} aria-controls={PANEL_ID} onClick={() => setOpen(!open)}>
        {data ? `Notifications (${unreadIds.size}${more} unread)` : 'Notifications'}
      </button>
      {open && (
        <section id={PANEL_ID} aria-label="Notifications list" style={{ marginTop: '0.5rem' }}>
          {error && <p role="alert">Could not load notifications: {apiMessage(error)}</p>}
          {live.error && <p role="alert">Live notifications lost: {apiMessage(live.error)}</p>}
          {!data && !error && <p>Loading notifications…</p>}
          {data && items.length === 0 && <p>No notifications.</p>}
          {items.length > 0 && (
            <ul>
              {items.map((n) => (
                <NotificationItem
                  key={n.id}
                  notification={n}
                  onRead={(readAt) => setReadNow((all) => ({ ...all, [n.id]: readAt }))}
                />
              ))}
            </ul>
          )}
        </section>
      )}
    </span>
  );
}

function NotificationItem({
  notification: n,
  onRead,
}: {
  notification: ConsoleNotificationFragment;
  onRead: (readAt: string) => void;
}) {
  const [marking, markRead] = useMutation(MarkRead);
  // The body ends with the run's absolute link; the "Open run" link replaces it.
  const body = n.body.endsWith(n.url) ? n.body.slice(0, -n.url.length).trim() : n.body;
  return (
    <li data-notification-id={n.id}>
      <strong>{n.title}</strong> {n.readAt ? '(read)' : '(unread)'}
      <br />
      {body} <time dateTime={n.createdAt}>{n.createdAt}</time> · <Link to={n.url}>Open run</Link>
      {!n.readAt && (
        <>
          {' '}
          <button
            type="button"
            disabled={marking.fetching}
            onClick={async () => {
              const result = await markRead({ id: n.id });
              const readAt = result.data?.markNotificationRead.readAt;
              if (readAt) onRead(readAt);
            }}
          >
            Mark read
          </button>
        </>
      )}
      {marking.error && <p role="alert">{apiMessage(marking.error)}</p>}
    </li>
  );
}
