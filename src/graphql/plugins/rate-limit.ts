// Start rate limiting, as a Yoga plugin: each start* field the operation will execute costs one
// point from the caller's budget (RATE_LIMIT_STARTS per RATE_LIMIT_WINDOW_S seconds); past it the
// operation is answered RATE_LIMITED with a retry hint and never reaches the gate. Starts are
// counted the way graphql-js collects root fields (fragments, aliases, @skip/@include), so
// wrapping a start in a fragment costs the same as writing it out. The budget lives in Redis, so
// it holds across API processes; while Redis is unreachable each process falls back to memory.
import {
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Services } from '../../app.js';
import { PublicError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';
import { START_MUTATION_FIELDS } from '../../operations/catalogue.js';

const START_FIELDS = START_MUTATION_FIELDS;

/** Each user's start budget, shared by every API process on the same Redis and prefix. */
export class StartBudget {
  private readonly limiter: RateLimiterRedis;

  constructor(redis: Redis, prefix: string, points: number, windowSeconds: number) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:ratelimit:starts`,
      points,
      duration: windowSeconds,
      // A Redis that is down falls back to this process's memory at once instead of holding the request.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points, duration: windowSeconds }),
    });
  }

  /** Spends `starts` points: null when they fit, else the seconds until the budget refills. */
  async spend(userId: string, starts: number): Promise<number | null> {
    try {
      await this.limiter.consume(userId, starts);
      return null;
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    }
  }
}

export function useStartRateLimit(points: number, windowSeconds: number): Plugin<GraphQLContext> {
  // One budget per services instance (one per process; tests build several in one process).
  const budgets = new WeakMap<Services, StartBudget>();
  const budgetOf = (services: Services) => {
    let budget = budgets.get(services);
    if (!budget)
      budgets.set(
        services,
        (budget = new StartBudget(services.redis, services.config.REDIS_PREFIX, points, windowSeconds)),
      );
    return budget;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const { viewer, services } = args.contextValue as GraphQLContext;
      if (!viewer) return;
      const starts = countStarts(args.schema, args.document, args.operationName, args.variableValues ?? {});
      if (!starts) return;
      return budgetOf(services)
        .spend(viewer.userId, starts)
        .then((retryAfterSeconds) => {
          if (retryAfterSeconds === null) return;
          setResultAndStopExecution({
            errors: [
              new PublicError('RATE_LIMITED', `Too many starts: try again in ${retryAfterSeconds} s`, {
                retryAfterSeconds,
              }),
            ],
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
  const responseKeys = new Set<string>();
  const visitedFragments = new Set<string>();
  const collect = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        if (START_FIELDS.has(selection.name.value)) responseKeys.add(selection.alias?.value ?? selection.name.value);
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
  return responseKeys.size;
}
