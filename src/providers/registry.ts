// The providers, keyed by `ProviderConnection.provider`: a run is executed by the kind of its pinned
// connection, whatever process runs it. The simulator is a kind of provider like Microsoft Graph,
// not a mode of the process; PROVIDER_MODE only chooses the kind of the demo seed's connections.
import type { Config } from '../config.js';
import type { OperationType, Provider as ProviderName } from '../generated/prisma/enums.js';
import { OPERATIONS } from '../operations/catalogue.js';
import { GraphProvider, graphCredentials } from './graph.js';
import type { ConnectionRow, PinnedConnection, Provider, ProviderKind } from './provider.js';
import { SimulatedProvider } from './simulated.js';

const EVERY_TYPE = Object.keys(OPERATIONS) as OperationType[];

export class ProviderRegistry {
  constructor(private readonly kinds: Readonly<Record<ProviderName, ProviderKind>>) {}

  kind(name: ProviderName): ProviderKind {
    return this.kinds[name];
  }

  /** Whether a connection of this kind can run the type (preflight and the pre-execute guard ask). */
  canRun(name: ProviderName, type: OperationType): boolean {
    return this.kinds[name].operations.includes(type);
  }

  /** The client for a connection row and its credentials as that client reads them. */
  connect(row: ConnectionRow, tenantExternalId: string): { client: Provider; connection: PinnedConnection } {
    const kind = this.kinds[row.provider];
    return { client: kind.client, connection: kind.pin(row, tenantExternalId) };
  }
}

export function graphKind(client: Provider, operations: readonly OperationType[] = EVERY_TYPE): ProviderKind {
  return {
    name: 'MICROSOFT_GRAPH',
    client,
    operations,
    pin: (row, tenantExternalId) => ({ id: row.id, tenantExternalId, credentials: graphCredentials(row) }),
  };
}

export function simulatedKind(client: Provider, operations: readonly OperationType[] = EVERY_TYPE): ProviderKind {
  return {
    name: 'SIMULATED',
    client,
    operations,
    // Its "credentials" are the connection's fault injection settings.
    pin: (row, tenantExternalId) => ({ id: row.id, tenantExternalId, credentials: row.simulation }),
  };
}

/** Every kind this deployment runs. `client` (tests) replaces the client of both kinds. */
export function createProviderRegistry(config: Config, client?: Provider): ProviderRegistry {
  return new ProviderRegistry({
    MICROSOFT_GRAPH: graphKind(
      client ?? new GraphProvider({ authorityUrl: config.GRAPH_AUTHORITY_URL, apiUrl: config.GRAPH_API_URL }),
    ),
    SIMULATED: simulatedKind(client ?? new SimulatedProvider(config.SIM_LATENCY_MS)),
  });
}
