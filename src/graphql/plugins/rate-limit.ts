// Start rate limiting, as a Yoga plugin: each start* field of a mutation costs one point from
// the caller's budget (RATE_LIMIT_STARTS per RATE_LIMIT_WINDOW_S seconds); past it the
// operation is answered RATE_LIMITED with a retry hint and never reaches the gate. The budget
// is kept in each API process's memory (rate-limiter-flexible): no Redis round trip on the hot
// path, at the price of the limit applying per process.
import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { PublicError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';

export function useStartRateLimit(points: number, windowSeconds: number): Plugin<GraphQLContext> {
  const limiter = new RateLimiterMemory({ points, duration: windowSeconds });
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = (args.document as DocumentNode).definitions.find(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
      );
      if (operation?.operation !== 'mutation') return;
      const starts = operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD && s.name.value.startsWith('start')).length;
      const viewer = (args.contextValue as GraphQLContext).viewer;
      if (!starts || !viewer) return;
      return limiter.consume(viewer.userId, starts).then(
        () => undefined,
        (res: unknown) => {
          if (!(res instanceof RateLimiterRes)) throw res;
          const retryAfterSeconds = Math.ceil(res.msBeforeNext / 1000);
          setResultAndStopExecution({
            errors: [new PublicError('RATE_LIMITED', `Too many starts: try again in ${retryAfterSeconds} s`, { retryAfterSeconds })],
          });
        },
      );
    },
  };
}
