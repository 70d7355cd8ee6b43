import type { Services } from '../app.js';
import type { Viewer } from '../auth/viewer.js';
import type { Delivery, SubscriptionGroups } from '../realtime/groups.js';

export type GraphQLContext = {
  services: Services;
  viewer: Viewer | null;
  /** The Authorization header of an HTTP request (SSE streams end when its token expires); absent on a WebSocket. */
  requestAuthorization?: string | null;
  /** On a graphql-ws subscription: its socket and id, so a subscription group can write its frames. */
  delivery?: Delivery;
  /** This API process's subscription groups (graphql-ws only). */
  groups?: SubscriptionGroups;
  /** The request's GraphQL params, as Yoga sets them. */
  params?: { query?: string; operationName?: string | null; extensions?: Record<string, unknown> | null };
};
