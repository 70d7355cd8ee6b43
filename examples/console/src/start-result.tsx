// The shared presenter of every start: the start button (enabled from its preview) and the toast of
// its answer in the contract's words with the run's link; every page starts through these.
import { Button, CloseButton, Group, Paper, Stack, Text } from '@mantine/core';
import { createContext, type ReactNode, useCallback, useContext, useState } from 'react';
import { graphql } from './gql';
import type { ConsoleStartPreviewFragment, ConsoleStartResultFragment } from './gql/graphql';
import { Link } from './router';
import { type StartTarget, useStart } from './starts';
import { RUN_STATUS } from './ui';

graphql(`
  fragment ConsoleStartPreview on StartPreview {
    type label status message
    reason { code message }
    nextSteps { action label url }
    run { id url status label }
    providerConnection { id displayName }
  }
`);

export const ConsoleStartResult = graphql(`
  fragment ConsoleStartResult on StartResult {
    __typename
    ... on StartOutcome { status message nextSteps { action label url } }
    ... on StartAccepted { runUrl run { id } }
    ... on StartDeduped { runUrl run { id } }
    ... on StartScopeBusy { runUrl blockingRun { id } }
    ... on StartBlocked { reason { code message } run { id url } }
  }
`);

type Toast = { id: number; result?: ConsoleStartResultFragment; error?: string };
const ToastContext = createContext<(toast: Omit<Toast, 'id'>) => void>(() => {});

export function useShowStartResult() {
  return useContext(ToastContext);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const show = useCallback((toast: Omit<Toast, 'id'>) => {
    setToasts((all) => [...all.slice(-4), { id: Date.now() + Math.random(), ...toast }]);
  }, []);
  return (
    <ToastContext.Provider value={show}>
      {children}
      <Stack
        component="section"
        aria-label="Start results"
        gap="xs"
        pos="fixed"
        bottom={16}
        right={16}
        maw="min(28rem, calc(100vw - 32px))"
        style={{ zIndex: 300 }}
      >
        {toasts.map((toast) => (
          <Paper
            key={toast.id}
            role="status"
            withBorder
            shadow="md"
            p="sm"
            style={{ borderLeft: `4px solid var(--mantine-color-${toastColor(toast)}-6)` }}
          >
            <Group justify="space-between" align="start" wrap="nowrap">
              {toast.result ? <StartResultView result={toast.result} /> : <Text size="sm">{toast.error}</Text>}
              <CloseButton
                aria-label="Dismiss"
                onClick={() => setToasts((all) => all.filter((t) => t.id !== toast.id))}
              />
            </Group>
          </Paper>
        ))}
      </Stack>
    </ToastContext.Provider>
  );
}

const TOAST_COLOR: Record<ConsoleStartResultFragment['__typename'], string> = {
  StartAccepted: 'green',
  StartDeduped: 'blue',
  StartScopeBusy: 'yellow',
  StartBlocked: 'orange',
};
const toastColor = (toast: Omit<Toast, 'id'>) => (toast.result ? TOAST_COLOR[toast.result.__typename] : 'red');

export function StartResultView({ result }: { result: ConsoleStartResultFragment }) {
  const link = 'runUrl' in result ? result.runUrl : result.__typename === 'StartBlocked' ? result.run.url : null;
  return (
    <Text size="sm" component="p" m={0}>
      <strong>{result.message}</strong> {link && <Link to={link}>Open run</Link>}
      {/* A next step that only opens the run repeats the run link. */}
      <NextSteps steps={result.nextSteps} except={link} />
    </Text>
  );
}

/**
 * A start button: enabled where its preview is READY, and where it is ALREADY_RUNNING (the start then
 * answers "<Operation> already running" with the active run's link and queues nothing); otherwise
 * disabled, described by the reason, the blocking or active run and the next steps.
 */
export function StartButton({ preview, target }: { preview: ConsoleStartPreviewFragment; target: StartTarget }) {
  return (
    <Group gap="xs" wrap="wrap" align="center">
      <StartControl preview={preview} target={target} />
      <PreviewExplanation preview={preview} target={target} />
    </Group>
  );
}

/**
 * A tenant's start controls compactly (the overview's rows): the buttons side by side, then one line
 * per control that is not ready, in the contract's words, each the description of its button.
 */
export function StartControls({
  previews,
  target,
}: {
  previews: readonly ConsoleStartPreviewFragment[];
  target: StartTarget;
}) {
  return (
    <Stack gap={4}>
      <Group gap={6} wrap="wrap">
        {previews.map((preview) => (
          <StartControl key={preview.type} preview={preview} target={target} />
        ))}
      </Group>
      {previews.map((preview) => (
        <PreviewExplanation key={preview.type} preview={preview} target={target} block />
      ))}
    </Stack>
  );
}

const explanationId = (preview: ConsoleStartPreviewFragment, target: StartTarget) =>
  `why-${preview.type}-${target.restoreRunId ?? target.providerConnectionId ?? target.tenantId}`;

function StartControl({ preview, target }: { preview: ConsoleStartPreviewFragment; target: StartTarget }) {
  const show = useShowStartResult();
  const start = useStart();
  const [sending, setSending] = useState(false);
  const startable = preview.status === 'READY' || preview.status === 'ALREADY_RUNNING';
  return (
    <Button
      size="xs"
      variant={preview.status === 'READY' ? 'filled' : 'light'}
      disabled={!startable || sending}
      loading={sending}
      aria-describedby={preview.status === 'READY' ? undefined : explanationId(preview, target)}
      onClick={async () => {
        setSending(true);
        show(await start(preview.type, target));
        setSending(false);
      }}
    >
      {preview.label}
    </Button>
  );
}

/**
 * Why a control is not plainly ready, in the contract's words: "<Operation> blocked: <reason>",
 * "<Operation> already running", and for a busy scope the blocking operation, named, with its link;
 * then the next steps.
 */
function PreviewExplanation({
  preview,
  target,
  block = false,
}: {
  preview: ConsoleStartPreviewFragment;
  target: StartTarget;
  block?: boolean;
}) {
  if (preview.status === 'READY') return null;
  return (
    <Text id={explanationId(preview, target)} size="sm" c="dimmed" span={!block}>
      {preview.message}
      {preview.run && (
        <>
          {' '}
          ·{' '}
          <Link to={preview.run.url}>
            {preview.status === 'SCOPE_BUSY' ? `Blocking run: ${preview.run.label}` : 'Running run'} (
            {RUN_STATUS[preview.run.status].label})
          </Link>
        </>
      )}
      <NextSteps steps={preview.nextSteps} except={preview.run?.url} />
    </Text>
  );
}

/** Next steps as links to the console's pages (a step without a route is plain text), but for `except`'s page. */
export function NextSteps({
  steps,
  except,
}: {
  steps: ConsoleStartPreviewFragment['nextSteps'];
  except?: string | null;
}) {
  return steps
    .filter((step) => !except || !step.url || !samePage(step.url, except))
    .map((step) => <span key={step.action}> · {step.url ? <Link to={step.url}>{step.label}</Link> : step.label}</span>);
}

/** A route and an absolute run link name the same page when their paths agree. */
const samePage = (a: string, b: string) => new URL(a, location.href).pathname === new URL(b, location.href).pathname;
