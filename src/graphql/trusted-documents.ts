// Trusted documents: the documents the console was built with, by hash (GraphQL Code Generator's
// persisted-documents.json, sha256 of each document's text). A client names one by
// `extensions.persistedQuery.sha256Hash` (the APQ shape urql's persistedExchange sends), over HTTP
// (Yoga's persisted-operations plugin) and over graphql-ws (textOf, from server.ts's onSubscribe).
// TRUSTED_DOCUMENTS_ONLY=on refuses every other document: in production only the console's own
// operations run, whatever a stolen token would like to ask. Off (the default), arbitrary
// documents run too (GraphiQL, scripts, tests), and hashes are served where the list has them.
import { existsSync, readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';

const ONLY_MESSAGE =
  'This API runs only its trusted documents (TRUSTED_DOCUMENTS_ONLY=on): send the hash of a persisted document';
const notInList = (hash: string) =>
  new GraphQLError(`No trusted document has the hash ${hash.slice(0, 80)}`, {
    extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
  });

type Payload = { query?: unknown; extensions?: Record<string, unknown> | null };

/** The hash a request names, APQ style: `extensions.persistedQuery = { version: 1, sha256Hash }`. */
export function persistedHash(params: Payload): string | null {
  const persisted = params.extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
  return persisted && persisted.version === 1 && typeof persisted.sha256Hash === 'string' ? persisted.sha256Hash : null;
}

export class TrustedDocuments {
  constructor(
    private readonly documents: ReadonlyMap<string, string>,
    /** TRUSTED_DOCUMENTS_ONLY: refuse any document that is not one of them. */
    readonly only: boolean,
  ) {}

  /** From TRUSTED_DOCUMENTS_FILE; a missing file is an empty list, or a start-up error when only those may run. */
  static fromConfig(config: Pick<Config, 'TRUSTED_DOCUMENTS_FILE' | 'TRUSTED_DOCUMENTS_ONLY'>): TrustedDocuments {
    const only = config.TRUSTED_DOCUMENTS_ONLY === 'on';
    const file = config.TRUSTED_DOCUMENTS_FILE;
    if (!existsSync(file)) {
      if (only)
        throw new Error(
          `TRUSTED_DOCUMENTS_ONLY=on, but TRUSTED_DOCUMENTS_FILE (${file}) does not exist: build it with npm run codegen`,
        );
      return new TrustedDocuments(new Map(), false);
    }
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((v) => typeof v !== 'string'))
      throw new Error(`TRUSTED_DOCUMENTS_FILE (${file}) is not a JSON object of hash to document`);
    return new TrustedDocuments(new Map(Object.entries(parsed as Record<string, string>)), only);
  }

  get size() {
    return this.documents.size;
  }

  /** Yoga's persisted-operations plugin over this list. */
  plugin(): Plugin {
    return usePersistedOperations({
      getPersistedOperation: (hash) => this.documents.get(hash) ?? null,
      allowArbitraryOperations: !this.only,
      extractPersistedOperationId: (params) => persistedHash(params as Payload),
      customErrors: {
        notFound: { message: 'No trusted document has that hash', extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } },
        persistedQueryOnly: { message: ONLY_MESSAGE, extensions: { code: 'PERSISTED_QUERY_ONLY' } },
        keyNotFound: { message: ONLY_MESSAGE, extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED' } },
      },
    });
  }

  /** The text a graphql-ws subscribe payload runs: its trusted document by hash, or its own query where allowed. */
  textOf(payload: Payload): string {
    const hash = persistedHash(payload);
    if (hash !== null) {
      const text = this.documents.get(hash);
      if (text === undefined) throw notInList(hash);
      return text;
    }
    if (this.only) throw new GraphQLError(ONLY_MESSAGE, { extensions: { code: 'PERSISTED_QUERY_ONLY' } });
    return typeof payload.query === 'string' ? payload.query : '';
  }
}
