// The public contract's GraphQL surface is a promise to SPA clients: every type, field, argument, union member
// and enum value it names exists with a compatible type. The committed schema snapshot (kept in
// step with the code by schema-snapshot.test.ts) is checked against the contract's SDL as if the
// contract were the previous version of the schema: any breaking change is a broken promise.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the contract SDL', () => {
  it('schema/schema.graphql has no breaking change against the public contract SDL (test/fixtures/contract.graphql)', async () => {
    const contract = buildSchema(await readFile(path.join(ROOT, 'test/fixtures/contract.graphql'), 'utf8'));
    const printed = buildSchema(await readFile(path.join(ROOT, 'schema/schema.graphql'), 'utf8'));
    expect(findBreakingChanges(contract, printed).map((c) => `${c.type}: ${c.description}`)).toEqual([]);
  });
});
