// What live subscriptions may cost a user (issue 19 item 8): a document over SUBSCRIPTION_MAX_COST
// is refused before it starts, and a user's open subscriptions together stay within
// SUBSCRIPTION_COST_BUDGET_PER_USER (RATE_LIMITED past it; freed when one ends). Over SSE, which
// shares the bound with graphql-ws (both subscribe through the same plugin).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ApiServer } from '../../src/server.js';
import { sseSubscribe, type SseStream } from '../support/clients.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

// The console's tenant previews (costs 451 by the unit test's rule) and a cheap run feed (3).
const PREVIEWS = `subscription ($tenantId: ID!) { startPreviewsChanged(tenantId: $tenantId) {
  type label status message reason { code message } nextSteps { label action url } run { id url }
  providerConnection { id displayName enabled } } }`;
const RUNS = 'subscription ($tenantId: ID) { operationRunUpdated(tenantId: $tenantId) { id status } }';
const QA = `subscription { operationRunUpdated { id status tenant {
  providerConnections { id displayName checkPreview { type status message reason { code message } nextSteps { label action url } } }
  restoreRuns { id startPreview { type status message nextSteps { label action url } } }
  schedules { id cron nextRunAt } startPreviews { type status message nextSteps { label action url } } }
  initiator { memberships { role workspace { id name } } } } }`;

let world: World;
let server: ApiServer;
const streams: SseStream[] = [];
beforeAll(async () => {
  // Room for two preview subscriptions (2 x 451) and a few cheap ones, not for a third.
  world = await createWorld({ SUBSCRIPTION_MAX_COST: 600, SUBSCRIPTION_COST_BUDGET_PER_USER: 1_000 });
  server = await startServer(world.services, 0);
});
afterAll(async () => {
  for (const s of streams) s.close();
  await server?.close();
  await world?.close();
});

const READER = 'reader@contoso.test';
const vars = { tenantId: ids.tenant('Alpine') };
async function open(query: string, as = READER): Promise<SseStream> {
  const stream = await sseSubscribe(server.url, await world.token(as), query, vars, { ack: true });
  streams.push(stream);
  return stream;
}
async function refusal(stream: SseStream): Promise<{ code?: string; message?: string }> {
  await expect(stream.live).rejects.toThrow();
  const error = stream.events.find((e) => e.errors)?.errors?.[0];
  return { code: error?.extensions?.code, message: error?.message };
}

describe('subscription cost', () => {
  it("refuses the QA report's nested document before it starts; the console's previews are accepted", async () => {
    const qa = await open(QA);
    const refused = await refusal(qa);
    expect(refused.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.message).toMatch(/^Subscription too costly: its selection costs \d+ \(limit 600\)/);
    const previews = await open(PREVIEWS);
    await previews.live;
    previews.close();
  });

  it("bounds a user's open subscriptions together; ending one frees its share; other users unaffected", async () => {
    const first = await open(PREVIEWS);
    const second = await open(PREVIEWS);
    await Promise.all([first.live, second.live]);
    const third = await open(PREVIEWS);
    const refused = await refusal(third);
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.message).toMatch(/open subscriptions cost 902 and this one 451 \(budget 1000\)/);
    // A cheap one still fits, and another user has a budget of their own.
    await (await open(RUNS)).live;
    await (await open(PREVIEWS, 'owner@contoso.test')).live;

    first.close();
    await waitFor(
      async () => {
        const again = await open(PREVIEWS);
        return again.live.then(
          () => true,
          () => false,
        );
      },
      { what: 'a preview subscription to fit again once one ended' },
    );
  });
});
