// The shared presenter of every start: the start button (enabled from its preview) and the toast of
// its answer in the contract's words with the run's link; every page starts through these.
import { createContext, type ReactNode, useCallback, useContext, useState } from 'react';
import { graphql } from './gql';
import type { ConsoleStartPreviewFragment, ConsoleStartResultFragment } from './gql/graphql';
import { Link } from './router';
import { type StartTarget, useStart } from './starts';

graphql(`
  fragment ConsoleStartPreview on StartPreview {
    type label status message
    reason { code message }
    nextSteps { action label url }
    run { id url status }
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
      <section aria-label="Start results">
        {toasts.map((toast) => (
          <div key={toast.id} className="toast" role="status">
            {toast.result ? <StartResultView result={toast.result} /> : <p>{toast.error}</p>}
            <button type="button" onClick={() => setToasts((all) => all.filter((t) => t.id !== toast.id))}>
              Dismiss
            </button>
          </div>
        ))}
      </section>
    </ToastContext.Provider>
  );
}

export function StartResultView({ result }: { result: ConsoleStartResultFragment }) {
  const link = 'runUrl' in result ? result.runUrl : result.__typename === 'StartBlocked' ? result.run.url : null;
  return (
    <p>
      <strong>{result.message}</strong> {link && <Link to={link}>Open run</Link>}
      {/* A next step that only opens the run repeats the run link. */}
      <NextSteps steps={result.nextSteps} except={link} />
    </p>
  );
}

/**
 * A start button: enabled where its preview is READY, and where it is ALREADY_RUNNING (the start then
 * answers "<Operation> already running" with the active run's link and queues nothing); otherwise
 * disabled, described by the reason, the blocking or active run and the next steps.
 */
export function StartButton({ preview, target }: { preview: ConsoleStartPreviewFragment; target: StartTarget }) {
  const show = useShowStartResult();
  const start = useStart();
  const [sending, setSending] = useState(false);
  const startable = preview.status === 'READY' || preview.status === 'ALREADY_RUNNING';
  const why = `why-${preview.type}-${target.restoreRunId ?? target.providerConnectionId ?? target.tenantId}`;
  return (
    <>
      <button
        type="button"
        disabled={!startable || sending}
        aria-describedby={preview.status === 'READY' ? undefined : why}
        onClick={async () => {
          setSending(true);
          show(await start(preview.type, target));
          setSending(false);
        }}
      >
        {preview.label}
      </button>{' '}
      {preview.status !== 'READY' && (
        <span id={why}>
          {preview.reason?.message ?? preview.message}
          {preview.run && (
            <>
              {' '}
              ·{' '}
              <Link to={preview.run.url}>
                {preview.status === 'SCOPE_BUSY' ? 'Blocking run' : 'Running run'} ({preview.run.status})
              </Link>
            </>
          )}
          <NextSteps steps={preview.nextSteps} except={preview.run?.url} />
        </span>
      )}
    </>
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
