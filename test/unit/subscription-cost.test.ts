// The cost of a subscription document (src/graphql/plugins/subscription-cost.ts): a field counts 1,
// a list field's selection 10 times; fragments count like inline selections; queries cost nothing here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { subscriptionCost } from '../../src/graphql/plugins/subscription-cost.js';

const schema = buildSchema(readFileSync(path.resolve(import.meta.dirname, '../../schema/schema.graphql'), 'utf8'));
const cost = (doc: string) => subscriptionCost(schema, parse(doc));

describe('subscriptionCost', () => {
  it('counts fields, a list field ten times per field under it, fragments like inline selections', () => {
    expect(cost('subscription { operationRunUpdated { id status } }')).toBe(3);
    expect(cost('subscription { operationRunUpdated { id children { id } } }')).toBe(1 + 1 + (1 + 10 * 1));
    expect(
      cost('subscription { operationRunUpdated { ...F } } fragment F on OperationRun { id tenant { name } }'),
    ).toBe(cost('subscription { operationRunUpdated { id tenant { name } } }'));
    expect(cost('subscription { operationRunUpdated { id tenant { name } } }')).toBe(1 + 1 + (1 + 1));
    expect(cost('query { me { id } }')).toBe(0);
  });

  it("prices the QA report's nested document far above the console's costliest (a tenant's previews)", () => {
    const console = cost(`subscription ($tenantId: ID!) { startPreviewsChanged(tenantId: $tenantId) {
      type label status message reason { code message } nextSteps { label action url } run { id url }
      providerConnection { id displayName enabled } } }`);
    const qa = cost(`subscription { operationRunUpdated { id status tenant {
      providerConnections { id displayName checkPreview { type status message reason { code message } nextSteps { label action url } } }
      restoreRuns { id startPreview { type status message nextSteps { label action url } } }
      schedules { id cron nextRunAt } startPreviews { type status message nextSteps { label action url } } }
      initiator { memberships { role workspace { id name } } } } }`);
    expect(console).toBeLessThanOrEqual(600); // SUBSCRIPTION_MAX_COST's default
    expect(qa).toBeGreaterThan(600);
  });
});
