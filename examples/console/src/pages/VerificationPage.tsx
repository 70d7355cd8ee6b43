// A tenant's verification report (the route of "Open verification report"): what the last tenant
// verification found (organization, verified domains, each check passed or failed), refreshed on
// each of the tenant's run events, with the verification's start button to verify again.
import { useQuery } from 'urql';
import { routePath } from '../../../../src/operations/routes';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';

const VerificationQuery = graphql(`
  query ConsoleVerificationReport($tenantId: ID!) {
    tenant(id: $tenantId) {
      id name
      verificationReport {
        organizationId displayName verifiedDomains verifiedAt
        checks { name passed detail }
      }
      startPreviews { ...ConsoleStartPreview }
    }
  }
`);

export function VerificationPage({ tenantId }: { tenantId: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: VerificationQuery, variables: { tenantId } });
  useRunEvents({ tenantId }, () => refetch({ requestPolicy: 'network-only' }));
  if (error) return <p role="alert">Could not load the verification report: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading verification report…' : 'No data.'}</p>;
  const { tenant } = data;
  if (!tenant) return <p role="alert">No such tenant in your workspaces.</p>;
  const report = tenant.verificationReport;
  const verify = tenant.startPreviews.find((preview) => preview.type === 'TENANT_VERIFICATION');
  const passed = report?.checks.filter((check) => check.passed).length ?? 0;
  return (
    <>
      <h1>Verification report · {tenant.name}</h1>
      <p>
        <Link to={routePath('tenant', { tenantId: tenant.id })}>Back to {tenant.name}</Link>
      </p>
      {verify && <StartButton preview={verify} target={{ tenantId: tenant.id }} />}
      {!report ? (
        <p data-testid="verification-summary">Not verified yet: no tenant verification has reported on this tenant.</p>
      ) : (
        <>
          <p data-testid="verification-summary">
            {passed} of {report.checks.length} checks passed.
          </p>
          <dl>
            <dt>Organization</dt>
            <dd>
              {report.displayName} ({report.organizationId})
            </dd>
            <dt>Verified domains</dt>
            <dd>{report.verifiedDomains.length ? report.verifiedDomains.join(', ') : 'none'}</dd>
            <dt>Verified at</dt>
            <dd>{report.verifiedAt ?? '—'}</dd>
          </dl>
          <table aria-label="Verification checks">
            <thead>
              <tr>
                <th>Check</th>
                <th>Result</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {report.checks.map((check) => (
                <tr key={check.name}>
                  <td>{check.name}</td>
                  <td data-testid="check-result">{check.passed ? 'Passed' : 'Failed'}</td>
                  <td>{check.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
