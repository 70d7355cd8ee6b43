// Error masking: the product's own errors (PublicError, with extensions.code) and Yoga's parse
// and validation errors pass; everything else becomes INTERNAL_SERVER_ERROR with a generic
// message, or SERVICE_UNAVAILABLE when a backing store is unreachable. Never a stack trace,
// SQL or internal message, whatever NODE_ENV says.
import { GraphQLError } from 'graphql';
import type { Logger } from '../../logger.js';

const UNAVAILABLE = /ECONNREFUSED|ETIMEDOUT|Connection terminated|Can't reach database|Connection is closed|timeout exceeded when trying to connect/i;

export function maskError(log: Logger) {
  return (error: unknown, message: string): Error => {
    if (error instanceof GraphQLError && error.originalError === undefined && error.extensions?.code) return stripDebug(error);
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof GraphQLError && original.extensions?.code) {
      // A PublicError thrown inside a resolver; re-wrap it to keep its path.
      return new GraphQLError(original.message, {
        nodes: (error as GraphQLError).nodes,
        path: (error as GraphQLError).path,
        extensions: { ...original.extensions },
      });
    }
    const path = error instanceof GraphQLError ? error.path : undefined;
    if (original instanceof Error && UNAVAILABLE.test(original.message)) {
      log.error({ err: original, path }, 'backing service unavailable');
      return new GraphQLError('A backing service is unavailable. Try again shortly.', { path, extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 } });
    }
    log.error({ err: original, path }, 'unexpected error');
    return new GraphQLError(message, { path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
}

function stripDebug(error: GraphQLError): GraphQLError {
  const { originalError: _o, stack: _s, ...extensions } = error.extensions as Record<string, unknown>;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions });
}
