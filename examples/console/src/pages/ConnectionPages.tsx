export function ConnectionsPage({ tenantId }: { tenantId: string }) {
  return <h1>Connections {tenantId}</h1>;
}
export function NewConnectionPage({ tenantId }: { tenantId: string }) {
  return <h1>New connection {tenantId}</h1>;
}
export function ConnectionPage({ tenantId, id }: { tenantId: string; id: string }) {
  return (
    <h1>
      Connection {tenantId} {id}
    </h1>
  );
}
