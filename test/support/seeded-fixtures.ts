// The demo seed's tenants and connections, as the property tests draw from them.
import { ids } from './world.js';

export const TENANTS = ['Alpine', 'Birch', 'Cedar', 'Dune', 'Elm', 'Fir'] as const;
export type TenantName = (typeof TENANTS)[number];

/** Each tenant's connections as seeded (Cedar has none; Birch's first is its disabled default). */
export const CONNECTIONS: Record<TenantName, string[]> = {
  Alpine: [ids.connection('Alpine', 'Alpine Graph')],
  Birch: [ids.connection('Birch', 'Birch Graph (primary)'), ids.connection('Birch', 'Birch Graph (secondary)')],
  Cedar: [],
  Dune: [ids.connection('Dune', 'Dune Graph')],
  Elm: [ids.connection('Elm', 'Elm Graph')],
  Fir: [ids.connection('Fir', 'Fir Graph')],
};
export const ALL_CONNECTIONS = TENANTS.flatMap((tenant) => CONNECTIONS[tenant].map((id) => ({ tenant, id })));
export const TENANTS_WITH_CONNECTIONS = TENANTS.filter((t) => CONNECTIONS[t].length > 0);
