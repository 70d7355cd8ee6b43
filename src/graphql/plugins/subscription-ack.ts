// Subscription acknowledgement, for clients that must know when a subscription is live (an SPA
// that starts a run right after subscribing, and the tests): a subscribe request carrying
// `extensions: { subscriptionAck: true }` (graphql-ws subscribe payload, SSE request body or GET
// `extensions` parameter) first gets one result without data, `{ extensions: { subscribed: true } }`,
// as soon as the Redis channels behind it are subscribed: every event published after that
// reaches it. Clients that do not ask see exactly what they saw before. Over graphql-ws and SSE
// alike: both subscribe through Yoga's envelop, except grouped graphql-ws subscriptions, whose
// group sends the same acknowledgement (realtime/groups.ts).
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { probeSubscriptions } from '../../realtime/subscription-readiness.js';

/** A fresh object per subscription: later plugins may set fields on a result. */
export const subscriptionAck = (): ExecutionResult => ({ extensions: { subscribed: true } });

export function useSubscriptionAck(): Plugin {
  return {
    onSubscribe({ args }) {
      if (!wantsAck(args.contextValue)) return;
      return {
        onSubscribeResult({ result, setResult }) {
          // An error answer (not found, too many subscriptions) is not acknowledged: it is the answer.
          if (isAsyncIterable<ExecutionResult>(result)) setResult(acknowledged(result));
        },
      };
    },
  };
}

/** Yoga puts the request's GraphQL params (query, variables, extensions) on the context, for HTTP and graphql-ws alike. */
function wantsAck(context: unknown): boolean {
  const extensions = (context as { params?: { extensions?: Record<string, unknown> | null } }).params?.extensions;
  return extensions?.subscriptionAck === true;
}

const isAsyncIterable = <T>(value: unknown): value is AsyncIterable<T> =>
  value != null && typeof (value as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';

/**
 * The same stream with the acknowledgement first. The first pull starts the stream (its pub/sub
 * listener is only added then) and is kept: its event, when one comes, is delivered after the ack.
 * A plain iterator, not an async generator, so return() ends a pull that is still waiting.
 */
function acknowledged(source: AsyncIterable<ExecutionResult>): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<ExecutionResult>> | null = null;
  let acked = false;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (!acked) {
        acked = true;
        const { started, live } = probeSubscriptions(() => iterator.next());
        first = started;
        const firstOutcome = started.then(
          (step) => (step.done ? ('ended' as const) : ('event' as const)),
          () => 'ended' as const,
        );
        const winner = await Promise.race([live.then(() => 'live' as const), firstOutcome]);
        // An event can beat a repeated SUBSCRIBE's answer (it was published just before it): it still comes after the ack.
        if (winner === 'event') await live;
        // The stream ending or failing before it is live is the answer itself, without an ack.
        if (winner !== 'ended') return { done: false, value: subscriptionAck() };
      }
      if (first) {
        const pending = first;
        first = null;
        return pending;
      }
      return iterator.next();
    },
    return(value?: unknown) {
      return iterator.return ? iterator.return(value) : Promise.resolve({ done: true, value: undefined });
    },
    throw(err?: unknown) {
      return iterator.throw ? iterator.throw(err) : Promise.reject(err);
    },
  };
}
