// A provider that records every call it is asked to make (method, connection, when it started and
// how it ended), around a real one: the simulated provider by default. Tests use it to observe
// that a cancelled run makes no provider call after the cancel.
import { SimulatedProvider } from '../../src/providers/simulated.js';
import type { Provider } from '../../src/providers/provider.js';

export type ProviderCall = {
  method: keyof Provider;
  connectionId: string;
  startedAt: number;
  outcome?: 'ok' | 'error' | 'aborted';
};

export function countingProvider(inner: Provider = new SimulatedProvider(0)): Provider & { calls: ProviderCall[] } {
  const calls: ProviderCall[] = [];
  const wrap =
    <M extends keyof Provider>(method: M) =>
    async (...args: Parameters<Provider[M]>) => {
      const call: ProviderCall = { method, connectionId: args[0].id, startedAt: Date.now() };
      calls.push(call);
      const signal = (args[args.length - 1] as { signal?: AbortSignal }).signal;
      try {
        const result = await (inner[method] as (...a: unknown[]) => Promise<unknown>)(...args);
        call.outcome = 'ok';
        return result;
      } catch (err) {
        call.outcome = signal?.aborted ? 'aborted' : 'error';
        throw err;
      }
    };
  return {
    calls,
    verifyTenant: wrap('verifyTenant'),
    listGroups: wrap('listGroups'),
    listRoleDefinitions: wrap('listRoleDefinitions'),
    checkConnection: wrap('checkConnection'),
    applyRestoreItem: wrap('applyRestoreItem'),
  } as Provider & { calls: ProviderCall[] };
}
