export function OnboardingPage({ tenantId }: { tenantId: string }) {
  return <h1>Onboarding {tenantId}</h1>;
}
