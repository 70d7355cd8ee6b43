// A bound on live subscriptions per user on this API process, over graphql-ws and SSE alike
// (through Yoga's envelop, and for grouped graphql-ws subscriptions through their group). Past it, a new subscription gets one RATE_LIMITED error and
// ends; those already open are untouched. The count drops when a subscription ends for any
// reason: completed by the client, its socket or SSE stream closed, or its source failed. The same
// count, by root field, is the atlas_subscriptions_active gauge.
import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
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

/** One admitted subscription's share of its user's quota: `release` gives it back (once; later calls do nothing). */
export type QuotaHold = { release(): void };

/**
 * The per-user counts. `admit` is what both ways of subscribing go through: Yoga's envelop (the
 * plugin below) and the grouped graphql-ws subscriptions, which skip envelop's per-subscription
 * layers (server.ts).
 */
export class SubscriptionQuota {
  private readonly active = new Map<string, number>();
  private readonly spent = new Map<string, number>();

  constructor(
    private readonly maxPerUser: number,
    private readonly gauge: SubscriptionGauge = { inc: () => undefined, dec: () => undefined },
    private readonly costs: SubscriptionCosts = {
      maxCost: Number.POSITIVE_INFINITY,
      budgetPerUser: Number.POSITIVE_INFINITY,
    },
  ) {}

  /** A hold on one more subscription for `userId`, or the error that refuses it. */
  admit(
    userId: string,
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName?: string | null,
  ): QuotaHold | GraphQLError {
    const { maxPerUser, costs, active, spent, gauge } = this;
    const cost = subscriptionCost(schema, document, operationName);
    if (cost > costs.maxCost) return subscriptionTooCostly(cost, costs.maxCost);
    const count = active.get(userId) ?? 0;
    if (count >= maxPerUser)
      return tooManySubscriptions(`this user has ${count} open (limit ${maxPerUser})`, maxPerUser);
    const budget = spent.get(userId) ?? 0;
    if (budget + cost > costs.budgetPerUser)
      return tooManySubscriptions(
        `this user's open subscriptions cost ${budget} and this one ${cost} (budget ${costs.budgetPerUser})`,
        costs.budgetPerUser,
      );
    active.set(userId, count + 1);
    spent.set(userId, budget + cost);
    const field = rootField(document, operationName);
    gauge.inc({ field });
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        gauge.dec({ field });
        const left = (active.get(userId) ?? 1) - 1;
        if (left > 0) active.set(userId, left);
        else active.delete(userId);
        const remaining = (spent.get(userId) ?? cost) - cost;
        if (left > 0 && remaining > 0) spent.set(userId, remaining);
        else spent.delete(userId);
      },
    };
  }

  /** The quota for subscriptions made through Yoga's envelop (SSE, and graphql-ws ones that are not grouped). */
  plugin(): Plugin<GraphQLContext> {
    return {
      onSubscribe: ({ args, setResultAndStopExecution }) => {
        const userId = (args.contextValue as GraphQLContext).viewer?.userId;
        if (!userId) return;
        const hold = this.admit(userId, args.schema, args.document, args.operationName);
        if (hold instanceof GraphQLError) {
          setResultAndStopExecution({ errors: [hold] });
          return;
        }
        return {
          onSubscribeResult({ result, setResult }) {
            if (isAsyncIterable(result)) setResult(releasing(result, hold.release));
            else hold.release(); // an error answer: nothing stays open
          },
        };
      },
    };
  }
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
