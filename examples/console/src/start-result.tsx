// The shared presenter of every start's answer: a toast in the contract's words with the run's link.
import { createContext, type ReactNode, useCallback, useContext, useState } from 'react';
import { graphql } from './gql';
import type { ConsoleStartResultFragment } from './gql/graphql';
import { Link } from './router';

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

type Toast = { id: number; result: ConsoleStartResultFragment };
const ToastContext = createContext<(result: ConsoleStartResultFragment) => void>(() => {});

export function useShowStartResult() {
  return useContext(ToastContext);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const show = useCallback((result: ConsoleStartResultFragment) => {
    setToasts((all) => [...all.slice(-4), { id: Date.now() + Math.random(), result }]);
  }, []);
  return (
    <ToastContext.Provider value={show}>
      {children}
      <section aria-label="Notifications" role="status">
        {toasts.map((toast) => (
          <div key={toast.id} className="toast">
            <StartResultView result={toast.result} />
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
      {result.nextSteps
        .filter(
          (step) =>
            !link || !step.url || new URL(step.url, location.href).pathname !== new URL(link, location.href).pathname,
        )
        .map((step) => (
          <span key={step.action}> · {step.url ? <Link to={step.url}>{step.label}</Link> : step.label}</span>
        ))}
    </p>
  );
}
