import type { Services } from '../app.js';
import type { Viewer } from '../auth/viewer.js';

export type GraphQLContext = { services: Services; viewer: Viewer | null };
