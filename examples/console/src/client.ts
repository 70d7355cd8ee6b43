// The urql client: queries and mutations over HTTP, subscriptions over graphql-ws, both with the
// signed-in user's bearer token. VITE_API_URL points the console at another API.
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient } from 'graphql-ws';

export const API_URL: string = import.meta.env.VITE_API_URL ?? 'http://127.0.0.1:4000/graphql';

export type Live = { connected: boolean; reconnects: number };

/** Said on the sign-in page when the API refused the token (expired, revoked, or not one of its tokens). */
export const SESSION_ENDED = 'Your session ended (the token expired or was revoked); sign in again.';

/**
 * The client, and `onLive` told when the WebSocket is lost and when it is back (it retries forever),
 * and `onSignedOut` when the API refuses the token: over HTTP (UNAUTHENTICATED) or the socket (4403).
 */
export function createApiClient(token: string, onLive: (live: Live) => void, onSignedOut: () => void): Client {
  const authorization = `Bearer ${token}`;
  let reconnects = 0;
  let lost = false;
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
        if (lost) onLive({ connected: true, reconnects: ++reconnects });
        lost = false;
      },
      // The lazy socket closes normally (1000) when no page subscribes; anything else is a loss.
      closed: (event) => {
        if ((event as CloseEvent).code === 1000) return;
        if ((event as CloseEvent).code === 4403) return onSignedOut();
        lost = true;
        onLive({ connected: false, reconnects });
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
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
}
