export function RestoreRunPage({ tenantId, id }: { tenantId: string; id: string }) {
  return (
    <h1>
      Restore {tenantId} {id}
    </h1>
  );
}
