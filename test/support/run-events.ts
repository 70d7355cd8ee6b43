import type { RealtimeBus } from '../../src/realtime/bus.js';
import { probeSubscriptions } from '../../src/realtime/subscription-readiness.js';
import type { RunEvent } from '../../src/runs/events.js';

/** A process's run events of a workspace from now on: resolves once their Redis channel is subscribed (as the subscription ack does it). */
export async function recordRunEvents(bus: RealtimeBus, workspaceId: string) {
  const iterator = bus.runEvents([workspaceId])[Symbol.asyncIterator]();
  const seen: RunEvent[] = [];
  const { started, live } = probeSubscriptions(() => iterator.next());
  void (async () => {
    for (let step = await started; !step.done; step = await iterator.next()) seen.push(step.value);
  })();
  await live;
  return {
    seen,
    statusesOf: (runId: string) => seen.filter((e) => e.run.id === runId).map((e) => e.run.status),
    stop: () => iterator.return?.(),
  };
}
