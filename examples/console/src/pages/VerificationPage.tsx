// Placeholder page, replaced in the next step.
export function VerificationPage({ tenantId }: { tenantId: string }) {
  return <h1>Verification of {tenantId}</h1>;
}
