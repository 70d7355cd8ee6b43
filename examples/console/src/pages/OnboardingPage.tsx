// Onboarding a tenant: the bootstrap start button (from its live preview) and the latest bootstrap
// with its three steps (verification, group sync, role definitions sync) progressing live; an
// ONBOARDING tenant shows ACTIVE once its bootstrap succeeds.
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';

const OnboardingQuery = graphql(`
  query ConsoleOnboarding($tenantId: ID!) {
    tenant(id: $tenantId) { id name status verifiedAt startPreviews { ...ConsoleStartPreview } }
    operationRuns(filter: { tenantId: $tenantId, type: [ONBOARDING_BOOTSTRAP] }, first: 1) {
      edges { node { id status url createdAt finishedAt children { id label status step } } }
    }
  }
`);

const PreviewsChanged = graphql(`
  subscription ConsoleOnboardingPreviews($tenantId: ID!) {
    startPreviewsChanged(tenantId: $tenantId) { ...ConsoleStartPreview }
  }
`);

export function OnboardingPage({ tenantId }: { tenantId: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: OnboardingQuery, variables: { tenantId } });
  const [live] = useSubscription({ query: PreviewsChanged, variables: { tenantId } });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const latest = data?.operationRuns.edges[0]?.node;
  // The tenant's run events include the bootstrap's steps.
  useRunEvents({ tenantId }, reload);
  if (error) return <p role="alert">Could not load onboarding: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading onboarding…' : 'No data.'}</p>;
  const { tenant } = data;
  if (!tenant) return <p role="alert">No such tenant in your workspaces.</p>;
  const preview = (live.data?.startPreviewsChanged ?? tenant.startPreviews).find(
    (candidate) => candidate.type === 'ONBOARDING_BOOTSTRAP',
  );
  return (
    <>
      <h1>Onboarding · {tenant.name}</h1>
      <p>
        <Link to={`/tenants/${tenantId}`}>Back to {tenant.name}</Link> · tenant status{' '}
        <span data-testid="tenant-status">{tenant.status}</span>
        {tenant.status === 'ONBOARDING' && ' (becomes ACTIVE when its bootstrap succeeds)'}
      </p>
      {preview && <StartButton preview={preview} target={{ tenantId }} />}
      <h2>Latest bootstrap</h2>
      {!latest ? (
        <p>No bootstrap yet.</p>
      ) : (
        <>
          <p>
            <Link to={latest.url}>Bootstrap of {latest.createdAt}</Link>:{' '}
            <span data-testid="bootstrap-status">{latest.status}</span>
          </p>
          {latest.children.length === 0 ? (
            <p>Its steps appear when it starts running.</p>
          ) : (
            <ol aria-label="Bootstrap steps">
              {latest.children.map((step) => (
                <li key={step.id} data-step={step.label}>
                  {step.label}: <span data-testid="step-status">{step.status}</span>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </>
  );
}
