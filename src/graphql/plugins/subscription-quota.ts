// A bound on live subscriptions per user on this API process, over graphql-ws and SSE alike (both
// subscribe through Yoga's envelop). Past it, a new subscription gets one RATE_LIMITED error and
// ends; those already open are untouched. The count drops when a subscription ends for any
// reason: completed by the client, its socket or SSE stream closed, or its source failed. The same
// count, by root field, is the atlas_subscriptions_active gauge.
import { errorAsyncIterator, finalAsyncIterator, type Plugin } from 'graphql-yoga';
import { PublicError } from '../../errors.js';
import type { GraphQLContext } from '../context.js';
import { rootField } from './metrics.js';
import { subscriptionCost, subscriptionTooCostly } from './subscription-cost.js';

/** What the live subscriptions are reported to (Metrics.subscriptions fits). */
export type SubscriptionGauge = {
  inc(labels: { field: string }): void;
  dec(labels: { field: string }): void;
};

/** What one subscription document may cost, and all of a user's live ones together (subscription-cost.ts). */
export type SubscriptionCosts = { maxCost: number; budgetPerUser: number };

export function useSubscriptionQuota(
  maxPerUser: number,
  gauge: SubscriptionGauge = { inc: () => undefined, dec: () => undefined },
  costs: SubscriptionCosts = { maxCost: Number.POSITIVE_INFINITY, budgetPerUser: Number.POSITIVE_INFINITY },
): Plugin<GraphQLContext> {
  const active = new Map<string, number>();
  const spent = new Map<string, number>();
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const userId = (args.contextValue as GraphQLContext).viewer?.userId;
      if (!userId) return;
      const cost = subscriptionCost(args.schema, args.document, args.operationName);
      if (cost > costs.maxCost) {
        setResultAndStopExecution({ errors: [subscriptionTooCostly(cost, costs.maxCost)] });
        return;
      }
      const count = active.get(userId) ?? 0;
      if (count >= maxPerUser) {
        setResultAndStopExecution({
          errors: [tooManySubscriptions(`this user has ${count} open (limit ${maxPerUser})`, maxPerUser)],
        });
        return;
      }
      const budget = spent.get(userId) ?? 0;
      if (budget + cost > costs.budgetPerUser) {
        setResultAndStopExecution({
          errors: [
            tooManySubscriptions(
              `this user's open subscriptions cost ${budget} and this one ${cost} (budget ${costs.budgetPerUser})`,
              costs.budgetPerUser,
            ),
          ],
        });
        return;
      }
      active.set(userId, count + 1);
      spent.set(userId, budget + cost);
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
        const remaining = (spent.get(userId) ?? cost) - cost;
        if (left > 0 && remaining > 0) spent.set(userId, remaining);
        else spent.delete(userId);
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

/**
 * The same stream, calling `release` once when it ends: done or returned (Yoga's finalAsyncIterator),
 * or failed (errorAsyncIterator, rethrowing the error after the release).
 */
function releasing<T>(source: AsyncIterable<T>, release: () => void): AsyncIterableIterator<T> {
  let released = false;
  const once = () => {
    if (released) return;
    released = true;
    release();
  };
  const failing = errorAsyncIterator(source, (err: unknown) => {
    once();
    throw err;
  });
  return finalAsyncIterator(failing, once) as AsyncIterableIterator<T>;
}
