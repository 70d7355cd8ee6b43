// Start rate limiting, as a Yoga plugin: each start* field the operation will execute costs one
// point from the caller's budget (RATE_LIMIT_STARTS per RATE_LIMIT_WINDOW_S seconds); past it the
// operation is answered RATE_LIMITED with a retry hint and never reaches the gate. Starts are
// counted the way graphql-js collects root fields (fragments, aliases, @skip/@include), so
// wrapping a start in a fragment costs the same as writing it out. The budget lives in Redis, so
// it holds across API processes; while Redis is unreachable each process falls back to memory.
// Schedule changes (create, update, delete) have a budget of their own in the same way
// (RATE_LIMIT_SCHEDULE_CHANGES per RATE_LIMIT_SCHEDULE_WINDOW_S): each one validates a cron and
// rewrites a job scheduler, so one user repeating them must not crowd out everyone else.
import {
  getArgumentValues,
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Services } from '../../app.js';
import { PublicError } from '../../errors.js';
import { connecting, type RedisClient } from '../../redis/connections.js';
import type { RedisNames } from '../../redis/names.js';
import type { GraphQLContext } from '../context.js';
import { BULK_START_FIELD, START_MUTATION_FIELDS } from '../../operations/catalogue.js';

const START_FIELDS = START_MUTATION_FIELDS;
const SCHEDULE_CHANGE_FIELDS: ReadonlySet<string> = new Set(['createSchedule', 'updateSchedule', 'deleteSchedule']);

/** Each user's budget of one kind of mutation, shared by every API process on the same Redis and prefix. */
export class UserBudget {
  private readonly limiter: RateLimiterRedis;

  /** `keyPrefix`: RedisNames.rateLimit(kind). */
  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    points: number,
    windowSeconds: number,
  ) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points,
      duration: windowSeconds,
      // A Redis that is down falls back to this process's memory at once instead of holding the request.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points, duration: windowSeconds }),
    });
  }

  /** Spends `points`: null when they fit, else the seconds until the budget refills. */
  async spend(userId: string, points: number): Promise<number | null> {
    // A client still making its first connection is not a Redis that is down: wait for it (bounded)
    // rather than spend this process's own memory budget, which the other processes do not see.
    if (this.redis.status !== 'ready') await connecting(this.redis, 1_000);
    try {
      await this.limiter.consume(userId, points);
      return null;
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    }
  }
}

/** Each user's start budget. */
export class StartBudget extends UserBudget {
  constructor(redis: RedisClient, names: RedisNames, points: number, windowSeconds: number) {
    super(redis, names.rateLimit('starts'), points, windowSeconds);
  }
}

export function useStartRateLimit(points: number, windowSeconds: number): Plugin<GraphQLContext> {
  return useUserRateLimit('starts', START_FIELDS, points, windowSeconds, (s) => `Too many starts: try again in ${s} s`);
}

export function useScheduleChangeRateLimit(points: number, windowSeconds: number): Plugin<GraphQLContext> {
  return useUserRateLimit(
    'schedule-changes',
    SCHEDULE_CHANGE_FIELDS,
    points,
    windowSeconds,
    (s) =>
      `Too many schedule changes: try again in ${s} s (RATE_LIMIT_SCHEDULE_CHANGES per RATE_LIMIT_SCHEDULE_WINDOW_S)`,
  );
}

/** Each of `fields` that a mutation executes costs one point (a bulk start one per target); past the budget: RATE_LIMITED, nothing executed. */
function useUserRateLimit(
  kind: string,
  fields: ReadonlySet<string>,
  points: number,
  windowSeconds: number,
  message: (retryAfterSeconds: number) => string,
): Plugin<GraphQLContext> {
  // One budget per services instance (one per process; tests build several in one process).
  const budgets = new WeakMap<Services, UserBudget>();
  const budgetOf = (services: Services) => {
    let budget = budgets.get(services);
    if (!budget)
      budgets.set(
        services,
        (budget = new UserBudget(services.redis, services.names.rateLimit(kind), points, windowSeconds)),
      );
    return budget;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const { viewer, services } = args.contextValue as GraphQLContext;
      if (!viewer) return;
      const cost = countMutationFields(
        args.schema,
        args.document,
        args.operationName,
        args.variableValues ?? {},
        fields,
      );
      if (!cost) return;
      return budgetOf(services)
        .spend(viewer.userId, cost)
        .then((retryAfterSeconds) => {
          if (retryAfterSeconds === null) return;
          setResultAndStopExecution({
            errors: [new PublicError('RATE_LIMITED', message(retryAfterSeconds), { retryAfterSeconds })],
          });
        });
    },
  };
}

/** How many start fields a mutation executes: one per distinct response key, as graphql-js collects root fields. */
export function countStarts(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown>,
): number {
  return countMutationFields(schema, document, operationName, rawVariables, START_FIELDS);
}

/** How many of `fields` a mutation executes: one per distinct response key, as graphql-js collects root fields. */
function countMutationFields(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown>,
  fields: ReadonlySet<string>,
): number {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'mutation') return 0;
  // Coerced as execution will coerce them (defaults included); variables that fail here fail execution too.
  const { coerced: variables } = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables);
  if (!variables) return 0;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const included = (node: Parameters<typeof getDirectiveValues>[1]) =>
    getDirectiveValues(GraphQLSkipDirective, node, variables)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  // A bulk start costs one point per target it names (a malformed list fails execution, and costs 1).
  const weight = (field: FieldNode) => {
    if (field.name.value !== BULK_START_FIELD) return 1;
    const definition = schema.getMutationType()?.getFields()[BULK_START_FIELD];
    if (!definition) return 1;
    try {
      const targets = getArgumentValues(definition, field, variables).targetIds;
      return Array.isArray(targets) ? Math.max(1, targets.length) : 1;
    } catch {
      return 1;
    }
  };
  const responseKeys = new Map<string, number>();
  const visitedFragments = new Set<string>();
  const collect = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        if (fields.has(selection.name.value))
          responseKeys.set(selection.alias?.value ?? selection.name.value, weight(selection));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet);
      } else if (!visitedFragments.has(selection.name.value)) {
        visitedFragments.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  let cost = 0;
  for (const points of responseKeys.values()) cost += points;
  return cost;
}
