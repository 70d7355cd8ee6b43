// The plain-SQL hot paths build their identifiers from Prisma's generated enums (src/db/identifiers.ts),
// so a renamed field fails `tsc`. This checks the other half: a run row read by raw SQL (admission's
// RETURNING *, the gate's json_agg of active runs, a lifecycle transition, the realtime event) has
// exactly the model's fields, so nothing downstream meets a missing or an extra key. A row stamped
// at commit (admission, a transition) also carries its tenant row, equal to Prisma's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN, TENANT } from '../../src/db/identifiers.js';
import { SYSTEM } from '../../src/gate/start-gate.js';
import { sqlLiteral } from '../../src/runs/change-order.js';
import type { RunWithTenant } from '../../src/runs/events.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => world?.close());

const modelFields = [...RUN.fields].sort();
const stampedFields = [...RUN.fields, 'tenantAtChange'].sort();
const keysOf = (row: object) => Object.keys(row).sort();

describe('raw SQL rows match the Prisma model', () => {
  it('admission, the active-run read, a transition and a Prisma read all carry exactly the OperationRun fields', async () => {
    const started = await world.services.gate.start(SYSTEM, {
      type: 'ONBOARDING_BOOTSTRAP',
      tenantId: ids.tenant('Elm'),
    });
    if (started.status !== 'QUEUED') throw new Error(started.status);
    expect(keysOf(started.run)).toEqual(stampedFields);
    const elm = await world.services.prisma.tenant.findUniqueOrThrow({ where: { id: ids.tenant('Elm') } });
    expect(keysOf(elm)).toEqual([...TENANT.fields].sort());
    expect((started.run as RunWithTenant).tenantAtChange).toEqual(elm);

    const active = await world.services.store.activeRuns(ids.tenant('Elm'));
    expect(active.map(keysOf)).toEqual([modelFields]);
    const target = await world.services.store.tenantTarget(ids.tenant('Elm'));
    expect(target!.activeRuns.map(keysOf)).toEqual([modelFields]);
    expect(target!.activeRuns[0].createdAt).toEqual(started.run.createdAt);

    const running = await world.services.lifecycle.markRunning(started.run.id);
    expect(keysOf(running!)).toEqual(stampedFields);
    const viaPrisma = await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: started.run.id } });
    expect(keysOf(viaPrisma)).toEqual(modelFields);
    const { tenantAtChange, ...row } = running as RunWithTenant;
    expect(row).toEqual(viaPrisma);
    expect(tenantAtChange).toEqual(elm);
  });
});

describe('values inlined into a batch (sqlLiteral)', () => {
  it('read back exactly what they were, whatever quotes, backslashes or statement text they hold', async () => {
    const nasty = [
      "it's",
      '\'; DROP TABLE "OperationRun"; --',
      'C:\\path\\to\\x',
      "\\'; SELECT 1; --",
      '$$dollar$$ quoted',
      'über ✓ 🚀',
      '',
    ];
    for (const standard of ['on', 'off']) {
      const rows = await world.services.prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe(`SET LOCAL standard_conforming_strings = ${standard}`);
        return tx.$queryRawUnsafe<{ v: string | null; n: number | null }[]>(
          nasty.map((s) => `SELECT ${sqlLiteral(s)}::text AS v, ${sqlLiteral(7)}::int AS n`).join(' UNION ALL '),
        );
      });
      expect(rows.map((r) => r.v)).toEqual(nasty);
    }
    const [nulls] = await world.services.prisma.$queryRawUnsafe<{ v: null }[]>(`SELECT ${sqlLiteral(null)} AS v`);
    expect(nulls.v).toBeNull();
    for (const refused of [1.5, Number.NaN, true, {}, 10n ** 20n]) expect(() => sqlLiteral(refused)).toThrow();
  });
});
