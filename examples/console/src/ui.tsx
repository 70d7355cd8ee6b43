// The console's design vocabulary on top of Mantine: statuses as coloured badges in words, times as
// relative and local with the exact UTC time on hover, crons in words. Every page draws with these,
// so a status reads the same everywhere (and a new status does not compile without its words).
import { Badge, Code, Table, Tooltip } from '@mantine/core';
import cronstrue from 'cronstrue';
import { type ReactNode, useEffect, useState } from 'react';
import type {
  CredentialState,
  OperationRunStatus,
  RestoreRunStatus,
  StartPreviewStatus,
  TenantStatus,
} from './gql/graphql';

type Look = { label: string; color: string };

export const RUN_STATUS: Record<OperationRunStatus, Look> = {
  QUEUED: { label: 'Queued', color: 'gray' },
  RUNNING: { label: 'Running', color: 'blue' },
  SUCCEEDED: { label: 'Succeeded', color: 'green' },
  PARTIALLY_SUCCEEDED: { label: 'Partially succeeded', color: 'yellow' },
  FAILED: { label: 'Failed', color: 'red' },
  BLOCKED: { label: 'Blocked', color: 'orange' },
  CANCELLED: { label: 'Cancelled', color: 'dark' },
};

export const TENANT_STATUS: Record<TenantStatus, Look> = {
  ACTIVE: { label: 'Active', color: 'green' },
  ONBOARDING: { label: 'Onboarding', color: 'blue' },
  ARCHIVED: { label: 'Archived', color: 'gray' },
};

export const RESTORE_STATUS: Record<RestoreRunStatus, Look> = {
  DRAFT: { label: 'Draft', color: 'gray' },
  READY: { label: 'Ready', color: 'blue' },
  COMPLETED: { label: 'Completed', color: 'green' },
  PARTIALLY_COMPLETED: { label: 'Partially completed', color: 'yellow' },
  FAILED: { label: 'Failed', color: 'red' },
};

export const CREDENTIAL_STATE: Record<CredentialState, Look> = {
  VALID: { label: 'Valid', color: 'green' },
  EXPIRED: { label: 'Expired', color: 'red' },
  MISSING: { label: 'Missing', color: 'red' },
  CONSENT_REQUIRED: { label: 'Consent required', color: 'orange' },
};

export const PREVIEW_STATUS: Record<StartPreviewStatus, Look> = {
  READY: { label: 'Ready to start', color: 'green' },
  ALREADY_RUNNING: { label: 'Already running', color: 'blue' },
  SCOPE_BUSY: { label: 'Scope busy', color: 'yellow' },
  BLOCKED: { label: 'Blocked', color: 'orange' },
  FORBIDDEN: { label: 'Not allowed', color: 'gray' },
};

/** A status in words, coloured; `data-status` keeps the API's value for scripts and tests. */
export function StatusBadge<S extends string>({
  status,
  looks,
  testId,
}: {
  status: S;
  looks: Record<S, Look>;
  testId?: string;
}) {
  const look = looks[status] ?? { label: status, color: 'gray' };
  return (
    <Badge color={look.color} variant="light" tt="none" radius="sm" data-testid={testId} data-status={status}>
      {look.label}
    </Badge>
  );
}

export const RunStatus = ({ status, testId }: { status: OperationRunStatus; testId?: string }) => (
  <StatusBadge status={status} looks={RUN_STATUS} testId={testId} />
);

const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const LOCAL = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "3 minutes ago" (or "in 2 hours"), from `now`. */
export function relativeTime(iso: string, now = Date.now()): string {
  let amount = (new Date(iso).getTime() - now) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return RELATIVE.format(Math.round(amount), unit);
    amount /= size;
  }
  return RELATIVE.format(Math.round(amount), 'year');
}

/** Re-renders every `ms` so relative times keep moving. */
function useNow(ms = 30_000) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** A time as "3 minutes ago · 4 Dec 2026, 14:02" (local), the exact UTC instant on hover. */
export function Time({ value }: { value: string }) {
  const now = useNow();
  return (
    <Tooltip label={`${value} (UTC)`} withArrow openDelay={200}>
      <time dateTime={value} title={value}>
        {relativeTime(value, now)} · {LOCAL.format(new Date(value))}
      </time>
    </Tooltip>
  );
}

/** A duration from `fromIso` to `toIso` (or to now): "850 ms", "1.2 s", "4 min 3 s", "2 h 5 min". */
export function duration(fromIso: string, toIso: string | null | undefined, now = Date.now()): string {
  const ms = (toIso ? new Date(toIso).getTime() : now) - new Date(fromIso).getTime();
  if (ms < 1000) return `${Math.max(0, ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A cron in words ("At 02:00 AM, every day", in its time zone), the expression beside it. */
export function CronText({ cron, timezone }: { cron: string; timezone?: string | null }) {
  let words: string;
  try {
    words = cronstrue.toString(cron, { use24HourTimeFormat: true, verbose: false });
  } catch {
    words = 'custom schedule';
  }
  return (
    <span>
      {words}
      {timezone ? ` (${timezone})` : ''} <Code>{cron}</Code>
    </span>
  );
}

/**
 * A wide table that scrolls sideways inside itself on a narrow screen (never the page), reachable by
 * keyboard (a focusable region, as axe-core's scrollable-region-focusable asks).
 */
export function Scrollable({ minWidth, label, children }: { minWidth: number; label: string; children: ReactNode }) {
  return (
    <Table.ScrollContainer type="native" minWidth={minWidth} tabIndex={0} role="region" aria-label={label}>
      {children}
    </Table.ScrollContainer>
  );
}
