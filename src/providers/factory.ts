import type { Config } from '../config.js';
import { GraphProvider } from './graph.js';
import type { Provider } from './provider.js';
import { SimulatedProvider } from './simulated.js';

export function createProvider(config: Config): Provider {
  return config.PROVIDER_MODE === 'graph'
    ? new GraphProvider({ authorityUrl: config.GRAPH_AUTHORITY_URL, apiUrl: config.GRAPH_API_URL })
    : new SimulatedProvider(config.SIM_LATENCY_MS);
}
