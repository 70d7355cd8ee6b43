// Which subscription documents may share one execution per event (src/realtime/groups.ts): a field
// marked viewer-specific anywhere in the selection, a resume, or anything but operationRunUpdated
// keeps a subscription on its own.
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema/index.js';
import { groupable, VIEWER_SPECIFIC } from '../../src/realtime/groups.js';

const check = (query: string, operationName?: string) => groupable(schema, parse(query), operationName);

describe('groupable', () => {
  it('groups a run subscription that reads only role-level fields', () => {
    expect(
      check('subscription { operationRunUpdated { id status tenant { name viewerRole } initiator { displayName } } }'),
    ).toBe(true);
    expect(
      check(
        'subscription S($t: ID) { operationRunUpdated(tenantId: $t) { ...F } } fragment F on OperationRun { id changeId summary { total } }',
      ),
    ).toBe(true);
  });

  it('never groups a document that selects a viewer-specific field, wherever it is', () => {
    for (const query of [
      'subscription { operationRunUpdated { id viewerCanCancel } }',
      'subscription { operationRunUpdated { id children { viewerCanCancel } } }',
      'subscription { operationRunUpdated { ...F } } fragment F on OperationRun { parent { viewerCanCancel } }',
      'subscription { operationRunUpdated { tenant { startPreviews { status } } } }',
      'subscription { operationRunUpdated { restoreRun { startPreview { status } } } }',
      'subscription { operationRunUpdated { providerConnection { startPreviews { status } } } }',
    ])
      expect(check(query), query).toBe(false);
  });

  it('never groups a resume, another subscription, a query, or a directive', () => {
    for (const query of [
      'subscription { operationRunUpdated(after: "1") { id } }',
      'subscription { myNotifications { id } }',
      'query { operationRuns { edges { node { id } } } }',
      'subscription($x: Boolean!) { operationRunUpdated { id status @include(if: $x) } }',
    ])
      expect(check(query), query).toBe(false);
    // An alias on the one root field is still that field: the group's result carries the alias.
    expect(check('subscription { a: operationRunUpdated { id } }')).toBe(true);
  });

  it('the marks are on the schema: every field that answers per caller carries one', () => {
    const marked = Object.values(schema.getTypeMap()).flatMap((type) =>
      'getFields' in type && !type.name.startsWith('__')
        ? Object.values(type.getFields())
            .filter((f) => (f as { extensions?: Record<string, unknown> }).extensions?.[VIEWER_SPECIFIC] === true)
            .map((f) => `${type.name}.${f.name}`)
        : [],
    );
    expect(marked.sort()).toEqual([
      'OperationRun.viewerCanCancel',
      'ProviderConnection.startPreviews',
      'RestoreRun.startPreview',
      'RestoreRun.startPreviews',
      'Tenant.startPreviews',
    ]);
  });
});
