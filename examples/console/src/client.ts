// The urql client: queries and mutations over HTTP, subscriptions over graphql-ws, both with the
// signed-in user's bearer token. VITE_API_URL points the console at another API.
import { persistedExchange } from '@urql/exchange-persisted';
import { Client, fetchExchange, mapExchange, stringifyDocument, subscriptionExchange } from 'urql';
import { normalizedCache } from './runs-cache';
import { createClient as createWsClient } from 'graphql-ws';

export const API_URL: string = import.meta.env.VITE_API_URL ?? 'http://127.0.0.1:4000/graphql';

/**
 * `reconnects` counts WebSocket reconnects; `refreshes` counts the times the open page must read
 * again: a reconnect with a run subscription that holds no changeId yet, or a RESYNC_REQUIRED.
 */
export type Live = { connected: boolean; reconnects: number; refreshes: number };

/**
 * A run subscription's payload (its document declares `$after`): `variables.after` follows the newest changeId it delivered, and
 * graphql-ws sends this same payload again when it reconnects, so the subscription resumes where it
 * was (docs/behaviour.md#resuming-a-subscription) instead of the page reading everything again.
 */
type Resumable = { variables: Record<string, unknown> };
const RESUMES = /\boperationRunUpdated\b/;
const newer = (a: string, b: unknown) =>
  typeof b !== 'string' || a.length > b.length || (a.length === b.length && a > b);

/** Said on the sign-in page when the API refused the token (expired, revoked, or not one of its tokens). */
export const SESSION_ENDED = 'Your session ended (the token expired or was revoked); sign in again.';

/**
 * The client, and `onLive` told when the WebSocket is lost and when it is back (it retries forever),
 * and `onSignedOut` when the API refuses the token: over HTTP (UNAUTHENTICATED) or the socket (4403).
 */
export function createApiClient(token: string, onLive: (live: Live) => void, onSignedOut: () => void): Client {
  const authorization = `Bearer ${token}`;
  let reconnects = 0;
  let refreshes = 0;
  let lost = false;
  const resumable = new Set<Resumable>();
  const refresh = () => onLive({ connected: true, reconnects, refreshes: ++refreshes });
  const ws = createWsClient({
    url: API_URL.replace(/^http/, 'ws'),
    connectionParams: { authorization },
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (event) => (event as CloseEvent).code !== 4403,
    // graphql-ws doubles its wait without limit; capped, a restarted API is live again within seconds.
    retryWait: (retries) =>
      new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 4000) + Math.random() * 1000)),
    on: {
      connected: () => {
        if (lost) {
          reconnects++;
          // A run subscription that never delivered has nothing to resume from: the page reads again.
          if ([...resumable].some((p) => p.variables.after === undefined)) refreshes++;
          onLive({ connected: true, reconnects, refreshes });
        }
        lost = false;
      },
      // The lazy socket closes normally (1000) when no page subscribes; anything else is a loss.
      closed: (event) => {
        if ((event as CloseEvent).code === 1000) return;
        if ((event as CloseEvent).code === 4403) return onSignedOut();
        lost = true;
        onLive({ connected: false, reconnects, refreshes });
      },
    },
  });
  return new Client({
    url: API_URL,
    fetchOptions: { headers: { authorization } },
    requestPolicy: 'cache-and-network',
    exchanges: [
      mapExchange({
        onError: (error) => {
          if (error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) onSignedOut();
        },
      }),
      // Normalized: a run event updates that run wherever it is shown (runs-cache.ts).
      normalizedCache(),
      // Trusted documents: every operation is sent as the hash codegen gave its document (never its
      // text), so the console works against an API with TRUSTED_DOCUMENTS_ONLY=on.
      persistedExchange({
        enforcePersistedQueries: true,
        enableForMutation: true,
        enableForSubscriptions: true,
        preferGetForPersistedQueries: false,
        generateHash: async (_query, document) => (document as { __meta__?: { hash?: string } }).__meta__?.hash ?? null,
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request, operation) => ({
          subscribe: (sink) => {
            // graphql-ws wants a query string; a persisted one travels as its hash in `extensions`.
            const query = request.query ?? '';
            if (!RESUMES.test(stringifyDocument(operation.query)))
              return { unsubscribe: ws.subscribe({ ...request, query }, sink) };
            const payload = { ...request, query, variables: { ...request.variables } };
            resumable.add(payload);
            const unsubscribe = ws.subscribe(payload, {
              next: (result) => {
                // Too much changed while away: the server ends the subscription (then complete); the page reads again.
                if (result.errors?.some((e) => e.extensions?.code === 'RESYNC_REQUIRED')) return refresh();
                const changeId = (result.data as { operationRunUpdated?: { changeId?: string } } | null | undefined)
                  ?.operationRunUpdated?.changeId;
                if (changeId && newer(changeId, payload.variables.after)) payload.variables.after = changeId;
                sink.next(result as Parameters<typeof sink.next>[0]);
              },
              error: (error) => {
                resumable.delete(payload);
                const codes = Array.isArray(error) ? error.map((e) => e.extensions?.code) : [];
                if (codes.includes('RESYNC_REQUIRED')) return refresh();
                sink.error(error);
              },
              complete: () => {
                resumable.delete(payload);
                sink.complete();
              },
            });
            return {
              unsubscribe: () => {
                resumable.delete(payload);
                unsubscribe();
              },
            };
          },
        }),
      }),
    ],
  });
}
