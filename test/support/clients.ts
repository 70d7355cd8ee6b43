// Clients of a real API process, as an SPA would talk to it: GraphQL over HTTP, graphql-ws
// subscriptions that record everything they receive, and SSE streams.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export type GqlResponse = { data?: any; errors?: { message: string; extensions: { code: string } }[] };

export async function httpGql(
  baseUrl: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GqlResponse> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResponse;
}

export type Recorded = {
  events: any[];
  errors: unknown[];
  closed: { code?: number };
  completed: boolean;
  client: Client;
  /** With `{ ack: true }`: resolves on the server's subscription ack (the ack stays in `events`, first); rejects if none comes. */
  live: Promise<void>;
};

export type SubscribeOptions = {
  /** Ask for the server's subscription ack (`extensions: { subscriptionAck: true }`), so `live` says when events will arrive. */
  ack?: boolean;
  /** How long `live` waits for the ack (default 10 s). */
  ackTimeoutMs?: number;
  /** More of the subscribe message's `extensions`, e.g. a trusted document's `persistedQuery`. */
  extensions?: Record<string, unknown>;
};

/** The server's "this subscription is live" result (see README, subscription acknowledgement). */
export const isSubscriptionAck = (payload: any): boolean =>
  payload?.extensions?.subscribed === true && payload.data === undefined;

/** A graphql-ws client with one subscription; every payload, error and close code is recorded. */
export function wsSubscribe(
  port: number,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  retryAttempts = 0,
  options: SubscribeOptions = {},
): Recorded {
  const closed: Recorded['closed'] = {};
  const ack = ackLatch(options);
  const client = createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts,
    retryWait: () => new Promise((r) => setTimeout(r, 200)),
    lazy: false,
    onNonLazyError: () => undefined, // a refused connection is asserted through the close code
    on: {
      closed: (event) => {
        closed.code = (event as { code: number }).code;
        ack.fail(`the socket closed (${closed.code})`);
      },
    },
  });
  const sub: Recorded = { events: [], errors: [], closed, completed: false, client, live: ack.live };
  client.subscribe(
    { query, variables, extensions: { ...options.extensions, ...(options.ack ? { subscriptionAck: true } : {}) } },
    {
      next: (v) => {
        sub.events.push(v);
        if (isSubscriptionAck(v)) ack.arrived();
        else ack.fail(`an answer came first: ${JSON.stringify(v)}`);
      },
      error: (e) => {
        sub.errors.push(e);
        ack.fail(`the subscription failed: ${JSON.stringify(e)}`);
      },
      complete: () => {
        sub.completed = true;
        ack.fail('the subscription completed');
      },
    },
  );
  return sub;
}

/** `live` for one subscription: settled by the first of ack, failure or timeout; never an unhandled rejection. */
function ackLatch(options: SubscribeOptions) {
  let arrived = () => {};
  let fail = (_why: string) => {};
  const live = new Promise<void>((resolve, reject) => {
    if (!options.ack) return; // nothing will come: stays pending
    const timer = setTimeout(
      () => reject(new Error(`no subscription ack within ${options.ackTimeoutMs ?? 10_000} ms`)),
      options.ackTimeoutMs ?? 10_000,
    );
    timer.unref();
    arrived = () => {
      clearTimeout(timer);
      resolve();
    };
    fail = (why) => {
      clearTimeout(timer);
      reject(new Error(`no subscription ack: ${why}`));
    };
  });
  live.catch(() => undefined);
  return { live, arrived: () => arrived(), fail: (why: string) => fail(why) };
}

export type SseStream = { events: any[]; ended: Promise<void>; close(): void; live: Promise<void> };

/** A subscription over SSE; `events` holds each `data:` payload as parsed JSON. */
export async function sseSubscribe(
  baseUrl: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: SubscribeOptions = {},
): Promise<SseStream> {
  const controller = new AbortController();
  const ack = ackLatch(options);
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables, ...(options.ack ? { extensions: { subscriptionAck: true } } : {}) }),
    signal: controller.signal,
  });
  const events: any[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return ack.fail('the stream ended');
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of block.split('\n')) {
          if (!line.startsWith('data: ')) continue;
          const payload = JSON.parse(line.slice(6));
          events.push(payload);
          if (isSubscriptionAck(payload)) ack.arrived();
          else ack.fail(`an answer came first: ${line}`);
        }
      }
    }
  })();
  return { events, ended, close: () => controller.abort(), live: ack.live };
}

export const runUpdates = (events: any[]) => events.map((e) => e.data?.operationRunUpdated).filter(Boolean);
