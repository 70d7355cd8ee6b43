// Clients of a real API process, as an SPA would talk to it: GraphQL over HTTP, graphql-ws
// subscriptions that record everything they receive, and SSE streams.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export type GqlResponse = { data?: any; errors?: { message: string; extensions: { code: string } }[] };

export async function httpGql(baseUrl: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GqlResponse> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResponse;
}

export type Recorded = { events: any[]; errors: unknown[]; closed: { code?: number }; completed: boolean; client: Client };

/** A graphql-ws client with one subscription; every payload, error and close code is recorded. */
export function wsSubscribe(port: number, token: string | null, query: string, variables: Record<string, unknown> = {}, retryAttempts = 0): Recorded {
  const closed: Recorded['closed'] = {};
  const client = createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts,
    retryWait: () => new Promise((r) => setTimeout(r, 200)),
    lazy: false,
    onNonLazyError: () => undefined, // a refused connection is asserted through the close code
    on: { closed: (event) => (closed.code = (event as { code: number }).code) },
  });
  const sub: Recorded = { events: [], errors: [], closed, completed: false, client };
  client.subscribe(
    { query, variables },
    { next: (v) => sub.events.push(v), error: (e) => sub.errors.push(e), complete: () => (sub.completed = true) },
  );
  return sub;
}

export type SseStream = { events: any[]; ended: Promise<void>; close(): void };

/** A subscription over SSE; `events` holds each `data:` payload as parsed JSON. */
export async function sseSubscribe(baseUrl: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const events: any[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of block.split('\n')) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)));
      }
    }
  })();
  return { events, ended, close: () => controller.abort() };
}

export const runUpdates = (events: any[]) => events.map((e) => e.data?.operationRunUpdated).filter(Boolean);
