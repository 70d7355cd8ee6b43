// A tenant's verification report (the route of "Open verification report"): what the last tenant
// verification found (organization, verified domains, each check passed or failed), refreshed on
// each of the tenant's run events, with the verification's start button to verify again.
import { Badge, Card, Code, DataList, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from 'urql';
import { routePath } from '../../../../src/operations/routes';
import { graphql } from '../gql';
import { useRunEvents } from '../live';
import { Link } from '../router';
import { StartButton } from '../start-result';
import { Time, Scrollable } from '../ui';

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

/** A check's name ("organization-id-matches") in words ("Organization id matches"). */
const checkName = (name: string) => {
  const words = name.replace(/[-_]+/g, ' ').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

export function VerificationPage({ tenantId }: { tenantId: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: VerificationQuery, variables: { tenantId } });
  useRunEvents({ tenantId }, () => refetch({ requestPolicy: 'network-only' }));
  if (error)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        Could not load the verification report: {error.message}
      </Text>
    );
  if (!data) return <Text>{fetching ? 'Loading verification report…' : 'No data.'}</Text>;
  const { tenant } = data;
  if (!tenant)
    return (
      <Text role="alert" c="var(--mantine-color-red-light-color)">
        No such tenant in your workspaces.
      </Text>
    );
  const report = tenant.verificationReport;
  const verify = tenant.startPreviews.find((preview) => preview.type === 'TENANT_VERIFICATION');
  const passed = report?.checks.filter((check) => check.passed).length ?? 0;
  const allPassed = !!report && passed === report.checks.length;
  return (
    <Stack>
      <div>
        <Title order={1}>Verification report · {tenant.name}</Title>
        <Text size="sm">
          <Link to={routePath('tenant', { tenantId: tenant.id })}>Back to {tenant.name}</Link>
        </Text>
      </div>
      {verify && (
        <div>
          <StartButton preview={verify} target={{ tenantId: tenant.id }} />
        </div>
      )}
      {!report ? (
        <Card withBorder>
          <Text c="dimmed" data-testid="verification-summary">
            Not verified yet: no tenant verification has reported on this tenant.
          </Text>
        </Card>
      ) : (
        <>
          <Card withBorder>
            <Stack gap="sm">
              <Text
                fw={600}
                c={`var(--mantine-color-${allPassed ? 'green' : 'red'}-light-color)`}
                data-testid="verification-summary"
              >
                {passed} of {report.checks.length} checks passed.
              </Text>
              <DataList labelWidth={160}>
                <DataList.Item>
                  <DataList.ItemLabel>Organization</DataList.ItemLabel>
                  <DataList.ItemValue>
                    {report.displayName} <Code>{report.organizationId}</Code>
                  </DataList.ItemValue>
                </DataList.Item>
                <DataList.Item>
                  <DataList.ItemLabel>Verified domains</DataList.ItemLabel>
                  <DataList.ItemValue>
                    {report.verifiedDomains.length ? (
                      <Group gap={6}>
                        {report.verifiedDomains.map((domain) => (
                          <Badge key={domain} variant="light" color="gray" tt="none" radius="sm">
                            {domain}
                          </Badge>
                        ))}
                      </Group>
                    ) : (
                      'none'
                    )}
                  </DataList.ItemValue>
                </DataList.Item>
                <DataList.Item>
                  <DataList.ItemLabel>Verified at</DataList.ItemLabel>
                  <DataList.ItemValue>
                    {report.verifiedAt ? <Time value={report.verifiedAt} /> : '—'}
                  </DataList.ItemValue>
                </DataList.Item>
              </DataList>
            </Stack>
          </Card>
          <Card withBorder padding={0}>
            <Scrollable minWidth={480} label="Verification table">
              <Table aria-label="Verification checks" verticalSpacing="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Check</Table.Th>
                    <Table.Th>Result</Table.Th>
                    <Table.Th>Detail</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {report.checks.map((check) => (
                    <Table.Tr key={check.name} data-check={check.name}>
                      <Table.Td>{checkName(check.name)}</Table.Td>
                      <Table.Td data-testid="check-result">
                        <Badge variant="light" tt="none" radius="sm" color={check.passed ? 'green' : 'red'}>
                          {check.passed ? 'Passed' : 'Failed'}
                        </Badge>
                      </Table.Td>
                      <Table.Td c="dimmed">{check.detail ?? ''}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Scrollable>
          </Card>
        </>
      )}
    </Stack>
  );
}
