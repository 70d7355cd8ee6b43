// An SSE subscription outlives the HTTP request that authenticated it, so it ends when that
// request's token expires: one UNAUTHENTICATED error, then the end of the stream, and the client
// signs in again. (A graphql-ws socket is closed with 4403 at expiry by its session instead.)
import type { Plugin } from 'graphql-yoga';
import type { ExecutionResult } from 'graphql';
import { bearerToken } from '../../auth/tokens.js';
import { PublicError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';

// setTimeout's longest delay (about 24.8 days): a token living longer is not timed here.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function useSubscriptionExpiry(): Plugin<GraphQLContext> {
  return {
    async onSubscribe({ args }) {
      const context = args.contextValue as GraphQLContext;
      const token = bearerToken(context.requestAuthorization);
      if (!token || !context.viewer) return;
      const claims = await context.services.tokens.verify(token);
      if (!claims) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(endingAt(result, claims.expiresAt));
        },
      };
    },
  };
}

const tokenExpired = () =>
  new PublicError('UNAUTHENTICATED', 'Token expired: sign in again and subscribe again.', { reason: 'TOKEN_EXPIRED' });

const isAsyncIterable = <T>(value: unknown): value is AsyncIterable<T> =>
  value != null && typeof (value as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';

/**
 * The same stream until `expiresAt`, then one result carrying the UNAUTHENTICATED error and the end.
 * A hand-written iterator, not an async generator: a generator's return() would wait for the next
 * event, and the stream must let go of its source the moment the client leaves.
 */
function endingAt(source: AsyncIterable<ExecutionResult>, expiresAt: number): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const left = expiresAt - Date.now();
  const expiry = new Promise<'expired'>((resolve) => {
    if (left <= MAX_TIMER_MS) timer = setTimeout(() => resolve('expired'), Math.max(0, left));
  });
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    void iterator.return?.();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      const step = await Promise.race([iterator.next(), expiry]);
      if (step === 'expired') {
        finish();
        return { done: false, value: { errors: [tokenExpired()] } };
      }
      if (step.done) {
        finished = true;
        clearTimeout(timer);
      }
      return step;
    },
    return(value?: unknown) {
      finish();
      return Promise.resolve({ done: true, value: value as ExecutionResult });
    },
    throw(err?: unknown) {
      finish();
      return Promise.reject(err);
    },
  };
}
