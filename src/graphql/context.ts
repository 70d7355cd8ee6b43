import type { Services } from '../app.js';
import type { Viewer } from '../auth/viewer.js';

export type GraphQLContext = {
  services: Services;
  viewer: Viewer | null;
  /** The Authorization header of an HTTP request (SSE streams end when its token expires); absent on a WebSocket. */
  requestAuthorization?: string | null;
  /** The request's GraphQL params, as Yoga sets them. */
  params?: { query?: string; operationName?: string | null; extensions?: Record<string, unknown> | null };
};
