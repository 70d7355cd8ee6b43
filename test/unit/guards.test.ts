// Structural guards: the gate's dispatch step is the only way onto the queue, and every
// operation type is fully wired (registry entry, handler, mutation).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSchema } from 'graphql';
import { HANDLERS } from '../../src/jobs/handlers/index.js';
import { OPERATIONS, START_MUTATION_FIELDS } from '../../src/operations/catalogue.js';
import { OperationType } from '../../src/generated/prisma/enums.js';
import { printSchemaSnapshot } from '../../src/graphql/snapshot.js';

const SRC = path.resolve(import.meta.dirname, '../../src');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? e.name === 'generated'
          ? []
          : sourceFiles(path.join(dir, e.name))
        : e.name.endsWith('.ts')
          ? [path.join(dir, e.name)]
          : [],
    ),
  );
  return nested.flat();
}

/** A source file's code: line and block comments stripped. */
const code = (text: string) => text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');

describe('dispatch guard', () => {
  it('only src/jobs/dispatch.ts touches a BullMQ queue or flow producer to add jobs', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const rel = path.relative(SRC, file);
      const text = await readFile(file, 'utf8');
      // Only code that reaches BullMQ can enqueue; a Set's .add elsewhere is not a job, nor is a
      // comment's "queue" (admissions queue behind a row lock) a BullMQ queue.
      const usesBullmq = /from ['"]bullmq['"]/.test(text) || /\bqueue\b/i.test(code(text));
      const adds = usesBullmq && /\.(add|addBulk)\s*\(|new\s+FlowProducer\b|\bnew\s+Queue\b/.test(code(text));
      // The schedule triggers open a queue of their own but add nothing: BullMQ's job schedulers do.
      const triggersOnly = rel === path.join('jobs', 'schedulers.ts') && !/\.(add|addBulk)\s*\(/.test(text);
      if (adds && !triggersOnly && rel !== path.join('jobs', 'dispatch.ts')) offenders.push(rel);
    }
    expect(offenders, 'enqueue outside the dispatcher: route it through the start gate').toEqual([]);
  });

  it("only the gate's dispatch step and the reconciler call the dispatcher", async () => {
    const callers: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      if (/\.dispatch\(/.test(await readFile(file, 'utf8'))) callers.push(path.relative(SRC, file));
    }
    expect(callers.sort()).toEqual([path.join('gate', 'start-gate.ts'), path.join('jobs', 'reconciler.ts')]);
    const gate = await readFile(path.join(SRC, 'gate', 'start-gate.ts'), 'utf8');
    expect(gate.match(/this\.dispatcher\.dispatch\(/g)).toHaveLength(1);
  });
});

describe('schedule triggers', () => {
  it('only src/jobs/schedulers.ts touches BullMQ job schedulers (the schedule service goes through it)', async () => {
    const touching: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      if (/(upsert|remove|get)JobSchedulers?\(/.test(await readFile(file, 'utf8')))
        touching.push(path.relative(SRC, file));
    }
    expect(touching).toEqual([path.join('jobs', 'schedulers.ts')]);
  });
});

describe('run writes', () => {
  // Import rules (.dependency-cruiser.cjs) keep handlers away from src/runs/; this catches a write
  // made with the Prisma client or raw SQL anywhere else.
  it('only src/runs/ writes OperationRun and Notification rows', async () => {
    const writers: string[] = [];
    const write =
      /\.(operationRun|notification)\.(create|createMany|update|updateMany|upsert|delete|deleteMany)\(|(INSERT INTO|UPDATE|DELETE FROM)\s+(\$\{(RUN|NOTIFICATION|N)\.t\}|"(OperationRun|Notification)")/;
    for (const file of await sourceFiles(SRC)) {
      const rel = path.relative(SRC, file);
      if (rel.startsWith(`runs${path.sep}`) || rel.startsWith(`seed${path.sep}`)) continue;
      if (write.test(await readFile(file, 'utf8'))) writers.push(rel);
    }
    expect(writers, 'write runs through RunLifecycle').toEqual([]);
  });
});

describe('operation registry', () => {
  const schema = buildSchema(printSchemaSnapshot());
  const mutations = schema.getMutationType()!.getFields();

  it.each(Object.values(OperationType))(
    '%s has a registry entry, a handler and a start mutation returning StartResult',
    (type) => {
      const op = OPERATIONS[type];
      expect(op?.type).toBe(type);
      expect(op.label).toMatch(/^[A-Z]/);
      expect(typeof HANDLERS[type]).toBe('function');
      expect(op.roles.length).toBeGreaterThan(0);
      expect(op.roles).not.toContain('READONLY');
      const mutation = mutations[op.mutation.field];
      expect(mutation, `no mutation ${op.mutation.field}`).toBeDefined();
      if (op.mutation.kind)
        expect(mutation.args.find((a) => a.name === 'kind')?.type.toString()).toMatch(/^DirectorySyncKind/);
      expect(String(mutation.type)).toBe('StartResult!');
    },
  );

  it('labels are the contract vocabulary (a type the contract does not name brings its own, one per type)', () => {
    const labels = Object.values(OPERATIONS).map((o) => o.label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(Object.fromEntries(Object.values(OPERATIONS).map((o) => [o.type, o.label]))).toMatchObject({
      RESTORE_EXECUTE: 'Restore',
      DIRECTORY_GROUPS_SYNC: 'Group sync',
      ROLE_DEFINITIONS_SYNC: 'Role definitions sync',
      TENANT_VERIFICATION: 'Tenant verification',
      PROVIDER_CONNECTION_CHECK: 'Connection check',
      ONBOARDING_BOOTSTRAP: 'Onboarding bootstrap',
    });
  });

  it('every start mutation in the schema belongs to an operation type', () => {
    const starts = Object.keys(mutations).filter((name) => name.startsWith('start'));
    expect(new Set(starts)).toEqual(START_MUTATION_FIELDS);
  });
});

describe('the Redis seam', () => {
  /** The src files other than `allowed` whose code (comments stripped) matches `pattern`. */
  async function filesMatching(pattern: RegExp, allowed: string): Promise<string[]> {
    const offenders: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const rel = path.relative(SRC, file);
      if (rel !== allowed && pattern.test(code(await readFile(file, 'utf8')))) offenders.push(rel);
    }
    return offenders;
  }

  it('only src/redis/connections.ts constructs a Redis client (single node or cluster)', async () => {
    const clients = /new\s+(Redis|Cluster|IORedis)\s*\(|\.duplicate\s*\(|createClient\s*\(/;
    expect(await filesMatching(clients, path.join('redis', 'connections.ts'))).toEqual([]);
    // And the seam really is the one that does (a positive control on the pattern).
    const seam = code(await readFile(path.join(SRC, 'redis', 'connections.ts'), 'utf8'));
    expect(seam).toMatch(/new Cluster\(/);
    expect(seam).toMatch(/new Redis\(/);
  });

  it('only src/redis/names.ts composes key and channel names', async () => {
    // A template or string that puts the prefix in front of something, or names one of our spaces.
    const names = /REDIS_PREFIX\}|\$\{prefix\}:|['"`][^'"`]*:(bull|events|control|scope|ratelimit):/;
    expect(await filesMatching(names, path.join('redis', 'names.ts'))).toEqual([]);
    const seam = code(await readFile(path.join(SRC, 'redis', 'names.ts'), 'utf8'));
    expect(seam).toMatch(/:bull:/);
    expect(seam).toMatch(/:events:runs:/);
  });
});
