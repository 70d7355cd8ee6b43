// Placeholder pages, replaced in the next step.
export function TenantRunsPage({ tenantId }: { tenantId: string }) {
  return <h1>Runs of {tenantId}</h1>;
}
export function FailedStepPage({ runId }: { runId: string }) {
  return <h1>Failed step of {runId}</h1>;
}
