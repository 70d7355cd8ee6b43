// Per-operation GraphQL timings and error counts (@graphql-yoga/plugin-prometheus) on the process's
// own registry. Labelled by operation type and root field, not by operation name: names are
// chosen by clients, so a label on them would let any client grow the registry without bound.
import { type DocumentNode, getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createCounter, createHistogram, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Registry } from 'prom-client';

const PHASE_CODES: Record<string, string> = {
  parse: 'GRAPHQL_PARSE_FAILED',
  validate: 'GRAPHQL_VALIDATION_FAILED',
};

export function useGraphQLMetrics(registry: Registry): Plugin {
  return usePrometheus({
    registry,
    endpoint: false, // served by the HTTP server, behind METRICS_TOKEN
    metrics: {
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_envelop_request_duration',
          help: 'Time spent executing (or setting up) GraphQL operations, by operation type and root field',
          labelNames: ['operationType', 'rootField'] as const,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        },
        fillLabelsFn: (params) => ({
          operationType: params.operationType ?? 'unknown',
          rootField: rootField(params.document, params.operationName),
        }),
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'GraphQL errors in results, by phase and extensions.code',
          labelNames: ['phase', 'code'] as const,
        },
        fillLabelsFn: (params) => ({
          phase: params.errorPhase ?? 'unknown',
          // Parse and validation errors get their code only when Yoga writes the response; an error
          // without one is what the client receives as INTERNAL_SERVER_ERROR.
          code: String(
            params.error?.extensions?.code ?? PHASE_CODES[params.errorPhase ?? ''] ?? 'INTERNAL_SERVER_ERROR',
          ),
        }),
      }),
      graphql_envelop_request: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_schema_change: false,
      graphql_envelop_execute_resolver: false,
      graphql_yoga_http_duration: false,
    },
  });
}

/** The first root field of a validated operation: bounded by the schema, unlike operation names. */
export function rootField(document: DocumentNode | undefined, operationName?: string | null): string {
  // The plugin names an unnamed operation "Anonymous", which no document defines.
  const operation = document && (getOperationAST(document, operationName) ?? getOperationAST(document));
  const first = operation?.selectionSet.selections[0];
  return first && first.kind === Kind.FIELD ? first.name.value : 'unknown';
}
