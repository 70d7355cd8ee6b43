// The notification bell: the signed-in user's notifications (myNotifications live), unread count, mark read;
// it lives outside the remounted page, so it refetches itself after a reconnect to catch up.
import { Box, Button, Group, Paper, Text } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from './gql';
import type { ConsoleNotificationFragment } from './gql/graphql';
import { Link } from './router';
import { apiMessage } from './starts';
import { Time } from './ui';

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
    <Box component="span">
      <Button
        variant={unreadIds.size > 0 ? 'light' : 'subtle'}
        size="compact-sm"
        aria-expanded={open}
        aria-controls={PANEL_ID}
        onClick={() => setOpen(!open)}
      >
        {data ? `Notifications (${unreadIds.size}${more} unread)` : 'Notifications'}
      </Button>
      {open && (
        <Paper
          component="section"
          id={PANEL_ID}
          aria-label="Notifications list"
          withBorder
          shadow="md"
          p="sm"
          pos="fixed"
          top="calc(var(--app-shell-header-height, 56px) + 8px)"
          right={16}
          w="min(24rem, calc(100vw - 32px))"
          mah="70vh"
          style={{ overflowY: 'auto', zIndex: 300 }}
        >
          {error && (
            <Text role="alert" c="var(--mantine-color-red-light-color)" size="sm">
              Could not load notifications: {apiMessage(error)}
            </Text>
          )}
          {live.error && (
            <Text role="alert" c="var(--mantine-color-red-light-color)" size="sm">
              Live notifications lost: {apiMessage(live.error)}
            </Text>
          )}
          {!data && !error && <Text size="sm">Loading notifications…</Text>}
          {data && items.length === 0 && (
            <Text size="sm" c="dimmed">
              No notifications.
            </Text>
          )}
          {items.length > 0 && (
            <Box component="ul" m={0} p={0} style={{ listStyle: 'none' }}>
              {items.map((n) => (
                <NotificationItem
                  key={n.id}
                  notification={n}
                  onRead={(readAt) => setReadNow((all) => ({ ...all, [n.id]: readAt }))}
                />
              ))}
            </Box>
          )}
        </Paper>
      )}
    </Box>
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
    <Box
      component="li"
      data-notification-id={n.id}
      py="xs"
      pl="xs"
      style={{
        borderBottom: '1px solid var(--mantine-color-default-border)',
        borderLeft: `3px solid ${n.readAt ? 'transparent' : 'var(--mantine-primary-color-filled)'}`,
      }}
    >
      <Group justify="space-between" gap="xs" wrap="nowrap" align="start">
        <Text size="sm" fw={n.readAt ? 500 : 700} component="strong">
          {n.title}
        </Text>
        <Text
          size="xs"
          c={n.readAt ? 'dimmed' : 'var(--mantine-color-indigo-light-color)'}
          span
          style={{ whiteSpace: 'nowrap' }}
        >
          {n.readAt ? '(read)' : '(unread)'}
        </Text>
      </Group>
      <Text size="sm">{body}</Text>
      <Group gap="xs" mt={4} align="center">
        <Text size="xs" c="dimmed" span>
          <Time value={n.createdAt} />
        </Text>
        <Text size="xs" span>
          <Link to={n.url}>Open run</Link>
        </Text>
        {!n.readAt && (
          <Button
            size="compact-xs"
            variant="subtle"
            disabled={marking.fetching}
            onClick={async () => {
              const result = await markRead({ id: n.id });
              const readAt = result.data?.markNotificationRead.readAt;
              if (readAt) onRead(readAt);
            }}
          >
            Mark read
          </Button>
        )}
      </Group>
      {marking.error && (
        <Text role="alert" c="var(--mantine-color-red-light-color)" size="xs">
          {apiMessage(marking.error)}
        </Text>
      )}
    </Box>
  );
}
