// Error masking: the product's own errors (PublicError, with extensions.code) and Yoga's parse
// and validation errors pass; a client's mistake caught before execution (wrong variable types,
// armor limits) becomes GRAPHQL_VALIDATION_FAILED or BAD_USER_INPUT, logged at info; everything
// else becomes INTERNAL_SERVER_ERROR with a generic message, or SERVICE_UNAVAILABLE when a
// backing store is unreachable. Never a stack trace, SQL or internal message, whatever NODE_ENV says.
import { GraphQLError } from 'graphql';
import { isBackingServiceUnavailable } from '../../db/unavailable.js';
import type { Logger } from '../../logger.js';

export function maskError(log: Logger) {
  return (error: unknown, message: string): Error => {
    if (error instanceof GraphQLError && error.originalError === undefined && error.extensions?.code)
      return stripDebug(error);
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof GraphQLError && original.extensions?.code) {
      // A PublicError thrown inside a resolver; re-wrap it to keep its path.
      return new GraphQLError(original.message, {
        nodes: (error as GraphQLError).nodes,
        path: (error as GraphQLError).path,
        extensions: { ...original.extensions },
      });
    }
    const mistake = clientMistake(error);
    if (mistake) {
      // The request itself is wrong: the client learns what, the log does not cry wolf.
      log.info({ code: mistake.extensions.code, message: mistake.message }, 'client error');
      return mistake;
    }
    const path = error instanceof GraphQLError ? error.path : undefined;
    // The same classifier the workers use to wait out an outage (db/unavailable.ts).
    if (isBackingServiceUnavailable(original)) {
      log.error({ err: original, path }, 'backing service unavailable');
      return new GraphQLError('A backing service is unavailable. Try again shortly.', {
        path,
        extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 },
      });
    }
    log.error({ err: original, path }, 'unexpected error');
    return new GraphQLError(message, { path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
}

// graphql-armor reports its limits as thrown "Syntax Error: <what> limit of N exceeded, found M."
const ARMOR_LIMIT = /^Syntax Error: (.*\blimit of [\d.]+ exceeded\b.*)$/s;

/**
 * A GraphQL error raised by graphql-js, Yoga or graphql-armor before any resolver ran (it has no
 * path, and nothing but GraphQL errors behind it): variable values of the wrong type, an unknown
 * enum value, an operation over the depth, alias, token or cost limits. Those are the client's
 * mistakes, answered with what is wrong; anything raised inside a resolver has a path and is not.
 */
function clientMistake(error: unknown): GraphQLError | null {
  if (!(error instanceof GraphQLError) || error.path) return null;
  for (let cause = error.originalError; cause; cause = (cause as GraphQLError).originalError) {
    if (!(cause instanceof GraphQLError)) return null;
  }
  const { http } = (error.extensions ?? {}) as { http?: unknown };
  const limit = ARMOR_LIMIT.exec(error.message);
  const [message, code] = limit
    ? [limit[1], 'GRAPHQL_VALIDATION_FAILED']
    : error.message.startsWith('Syntax Error:')
      ? [error.message, 'GRAPHQL_PARSE_FAILED']
      : [error.message, 'BAD_USER_INPUT'];
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    // As Yoga marks its own validation errors: 400 for graphql-response+json, 200 for plain JSON.
    extensions: { code, http: http ?? { spec: true, status: 400 } },
  });
}

function stripDebug(error: GraphQLError): GraphQLError {
  const { originalError: _o, stack: _s, ...extensions } = error.extensions as Record<string, unknown>;
  return withExtensions(error, extensions);
}

/** The same error (message, locations, path) with other extensions. */
export function withExtensions(error: GraphQLError, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions,
  });
}
