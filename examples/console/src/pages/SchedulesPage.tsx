// A tenant's schedules: list, create, enable/disable, delete, last outcome.
export function SchedulesPage({ tenantId }: { tenantId: string }) {
  return <h1>Schedules {tenantId}</h1>;
}
