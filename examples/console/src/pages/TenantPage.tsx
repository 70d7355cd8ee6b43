// A tenant: one start button per operation, enabled or disabled from startPreviews and kept live by
// startPreviewsChanged; the reason where blocked, the running run linked where busy.
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import type { OperationType, ConsoleStartPreviewFragment } from '../gql/graphql';
import { Link } from '../router';
import { useShowStartResult } from '../start-result';

graphql(`
  fragment ConsoleStartPreview on StartPreview {
    type label status message
    reason { code message }
    nextSteps { action label url }
    run { id url status }
  }
`);

const TenantQuery = graphql(`
  query ConsoleTenant($id: ID!) {
    tenant(id: $id) { id name status startPreviews { ...ConsoleStartPreview } }
  }
`);

const PreviewsChanged = graphql(`
  subscription ConsoleStartPreviewsChanged($tenantId: ID!) {
    startPreviewsChanged(tenantId: $tenantId) { ...ConsoleStartPreview }
  }
`);

const StartDirectorySync = graphql(`
  mutation ConsoleStartDirectorySync($tenantId: ID!, $kind: DirectorySyncKind!) {
    startDirectorySync(tenantId: $tenantId, kind: $kind) { ...ConsoleStartResult }
  }
`);
const StartVerification = graphql(`
  mutation ConsoleStartVerification($tenantId: ID!) {
    startTenantVerification(tenantId: $tenantId) { ...ConsoleStartResult }
  }
`);
const StartBootstrap = graphql(`
  mutation ConsoleStartBootstrap($tenantId: ID!) {
    startOnboardingBootstrap(tenantId: $tenantId) { ...ConsoleStartResult }
  }
`);

export function TenantPage({ id }: { id: string }) {
  const [{ data, fetching, error }] = useQuery({ query: TenantQuery, variables: { id } });
  const [live] = useSubscription({ query: PreviewsChanged, variables: { tenantId: id } });
  const previews = live.data?.startPreviewsChanged ?? data?.tenant?.startPreviews ?? [];
  if (error) return <p role="alert">Could not load the tenant: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading tenant…' : 'No data.'}</p>;
  if (!data.tenant) return <p role="alert">No such tenant in your workspaces.</p>;
  return (
    <>
      <h1>{data.tenant.name}</h1>
      <p>Status: {data.tenant.status}</p>
      {live.error && <p role="alert">Live updates lost: {live.error.message}</p>}
      <h2>Operations</h2>
      <ul aria-label="Operations">
        {previews.map((preview) => (
          <li key={preview.type}>
            <StartButton tenantId={data.tenant!.id} preview={preview} />
          </li>
        ))}
      </ul>
    </>
  );
}

function StartButton({ tenantId, preview }: { tenantId: string; preview: ConsoleStartPreviewFragment }) {
  const show = useShowStartResult();
  const [sync, startSync] = useMutation(StartDirectorySync);
  const [verify, startVerify] = useMutation(StartVerification);
  const [boot, startBoot] = useMutation(StartBootstrap);
  const busy = sync.fetching || verify.fetching || boot.fetching;
  const start = async (type: OperationType) => {
    const answer =
      type === 'DIRECTORY_GROUPS_SYNC' || type === 'ROLE_DEFINITIONS_SYNC'
        ? (await startSync({ tenantId, kind: type === 'DIRECTORY_GROUPS_SYNC' ? 'GROUPS' : 'ROLE_DEFINITIONS' })).data
            ?.startDirectorySync
        : type === 'TENANT_VERIFICATION'
          ? (await startVerify({ tenantId })).data?.startTenantVerification
          : (await startBoot({ tenantId })).data?.startOnboardingBootstrap;
    if (answer) show(answer);
  };
  const ready = preview.status === 'READY';
  const why = `why-${preview.type}`;
  return (
    <>
      <button
        type="button"
        disabled={!ready || busy}
        aria-describedby={ready ? undefined : why}
        onClick={() => start(preview.type)}
      >
        {preview.label}
      </button>{' '}
      {!ready && (
        <span id={why}>
          {preview.reason?.message ?? preview.message}
          {preview.run && (
            <>
              {' '}
              · <Link to={preview.run.url}>Running run ({preview.run.status})</Link>
            </>
          )}
          {preview.nextSteps.map((step) => (
            <span key={step.action}> · {step.url ? <Link to={step.url}>{step.label}</Link> : step.label}</span>
          ))}
        </span>
      )}
    </>
  );
}
