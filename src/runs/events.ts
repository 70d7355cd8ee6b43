// What RunLifecycle publishes on every transition. The event carries the run row and the
// workspace it belongs to, so a subscriber can be authorised without another query.
import type { OperationRun } from '../generated/prisma/client.js';

export type RunEvent = { workspaceId: string; run: OperationRun };
export type NotificationEvent = { userId: string; notificationId: string };

export interface RunEventPublisher {
  runUpdated(event: RunEvent): Promise<void>;
  notificationCreated(event: NotificationEvent): Promise<void>;
}

export const NO_EVENTS: RunEventPublisher = {
  runUpdated: async () => undefined,
  notificationCreated: async () => undefined,
};
