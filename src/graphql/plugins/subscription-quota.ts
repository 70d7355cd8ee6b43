// A bound on live subscriptions per user on this API process, over graphql-ws and SSE alike (both
// subscribe through Yoga's envelop). Past it, a new subscription gets one RATE_LIMITED error and
// ends; those already open are untouched. The count drops when a subscription ends for any
// reason: completed by the client, its socket or SSE stream closed, or its source failed. The same
// count, by root field, is the atlas_subscriptions_active gauge.
import type { Plugin } from 'graphql-yoga';
import { PublicError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';
import { rootField } from './metrics.js';

/** What the live subscriptions are reported to (Metrics.subscriptions fits). */
export type SubscriptionGauge = {
  inc(labels: { field: string }): void;
  dec(labels: { field: string }): void;
};

export function useSubscriptionQuota(
  maxPerUser: number,
  gauge: SubscriptionGauge = { inc: () => undefined, dec: () => undefined },
): Plugin<GraphQLContext> {
  const active = new Map<string, number>();
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const userId = (args.contextValue as GraphQLContext).viewer?.userId;
      if (!userId) return;
      const count = active.get(userId) ?? 0;
      if (count >= maxPerUser) {
        setResultAndStopExecution({
          errors: [tooManySubscriptions(`this user has ${count} open (limit ${maxPerUser})`, maxPerUser)],
        });
        return;
      }
      active.set(userId, count + 1);
      const field = rootField(args.document, args.operationName);
      gauge.inc({ field });
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        gauge.dec({ field });
        const left = (active.get(userId) ?? 1) - 1;
        if (left > 0) active.set(userId, left);
        else active.delete(userId);
      };
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(releasing(result, release));
          else release(); // an error answer: nothing stays open
        },
      };
    },
  };
}

export const tooManySubscriptions = (detail: string, limit: number) =>
  new PublicError('RATE_LIMITED', `Too many subscriptions: ${detail}. Complete one before subscribing again.`, {
    limit,
  });

const isAsyncIterable = <T>(value: unknown): value is AsyncIterable<T> =>
  value != null && typeof (value as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';

/** The same stream, calling `release` once when it ends: done, failed, returned or thrown into. */
function releasing<T>(source: AsyncIterable<T>, release: () => void): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () =>
      iterator.next().then(
        (step) => {
          if (step.done) release();
          return step;
        },
        (err: unknown) => {
          release();
          throw err;
        },
      ),
    return: (value?: unknown) => {
      release();
      return iterator.return ? iterator.return(value) : Promise.resolve({ done: true, value: undefined });
    },
    throw: (err?: unknown) => {
      release();
      return iterator.throw ? iterator.throw(err) : Promise.reject(err);
    },
  };
}
