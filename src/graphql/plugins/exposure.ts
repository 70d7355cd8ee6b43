// What an API process shows to whoever can reach it: GraphiQL, schema introspection and which
// browser origins may call it. Outside production both tools are on; in production they are off
// unless GRAPHIQL=on / INTROSPECTION=on. CORS allows CORS_ORIGINS (or PUBLIC_APP_URL's origin),
// never "any Origin with credentials" (tokens travel in a header, cookies are not used).
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { CORSOptions, Plugin } from 'graphql-yoga';
import type { Config } from '../../config.js';

export type Exposure = { graphiql: boolean; introspection: boolean; cors: CORSOptions };

export function exposure(config: Config): Exposure {
  const production = config.NODE_ENV === 'production';
  const listed = config.CORS_ORIGINS?.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const origins = listed?.length ? listed : [new URL(config.PUBLIC_APP_URL).origin];
  return {
    graphiql: (config.GRAPHIQL ?? (production ? 'off' : 'on')) === 'on',
    introspection: (config.INTROSPECTION ?? (production ? 'off' : 'on')) === 'on',
    cors: { origin: origins.includes('*') ? ['*'] : origins, credentials: false, methods: ['GET', 'POST', 'OPTIONS'] },
  };
}

/** `__schema` and `__type` fail validation (GRAPHQL_VALIDATION_FAILED); `__typename` still works. */
export function useDisableIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
