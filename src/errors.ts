// The product's own client-facing errors (docs/behaviour.md#errors-and-limits). Anything that is not a
// PublicError is masked by Yoga as INTERNAL_SERVER_ERROR with a generic message.
import { GraphQLError } from 'graphql';

export type PublicErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'RESYNC_REQUIRED';

export class PublicError extends GraphQLError {
  constructor(
    readonly code: PublicErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...extra } });
  }
}

export const unauthenticated = () =>
  new PublicError('UNAUTHENTICATED', 'Authentication required: send a valid bearer token');
export const notFound = (what: string) => new PublicError('NOT_FOUND', `${what} not found`);
export const forbidden = (action: string) => new PublicError('FORBIDDEN', `Your role does not allow you to ${action}`);
export const serviceUnavailable = (message: string, retryAfterSeconds = 1) =>
  new PublicError('SERVICE_UNAVAILABLE', message, { retryAfterSeconds });

/** A resumed subscription would replay more than `limit` runs: re-read with queries, then subscribe again. */
export const resyncRequired = (limit: number) =>
  new PublicError(
    'RESYNC_REQUIRED',
    `More than ${limit} runs changed since that changeId: re-read them with queries, then subscribe again with the newest changeId you hold`,
    { replayLimit: limit },
  );

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are UUIDs; anything else names nothing, and must not reach Postgres as a cast error. */
export const isUuid = (id: string): boolean => UUID.test(id);
