// Trusted documents: the documents the console was built with, by hash (GraphQL Code Generator's
// persisted-documents.json, sha256 of each document's text). A client names one by
// `extensions.persistedQuery.sha256Hash` (the APQ shape urql's persistedExchange sends), over HTTP
// (Yoga's persisted-operations plugin) and over graphql-ws (textOf, from server.ts's onSubscribe).
// TRUSTED_DOCUMENTS_ONLY=on refuses every other document: in production only the console's own
// operations run, whatever a stolen token would like to ask. Off (the default), arbitrary
// documents run too (GraphiQL, scripts, tests), and hashes are served where the list has them.
import { existsSync, readFileSync, statSync } from 'node:fs';
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

/** The list as read from its file, and the file's modification time then (null: no file). */
type Snapshot = { documents: ReadonlyMap<string, string>; mtimeMs: number | null };

function read(file: string): Snapshot {
  if (!existsSync(file)) return { documents: new Map(), mtimeMs: null };
  const mtimeMs = statSync(file).mtimeMs;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((v) => typeof v !== 'string'))
    throw new Error(`TRUSTED_DOCUMENTS_FILE (${file}) is not a JSON object of hash to document`);
  return { documents: new Map(Object.entries(parsed as Record<string, string>)), mtimeMs };
}

/** How often an unknown hash may make the list look at its file again. */
const RELOAD_CHECK_MS = 1_000;

export class TrustedDocuments {
  private snapshot: Snapshot;
  private checkedAt = 0;

  /**
   * `file`: read now and again when a hash is not in it and the file changed since (at most once a
   * second): `npm run codegen` (or `npm run console`) after the API started adds the console's
   * documents without a restart.
   */
  constructor(
    private readonly file: string | null,
    /** TRUSTED_DOCUMENTS_ONLY: refuse any document that is not one of them. */
    readonly only: boolean,
    /** How often an unknown hash may make it look at the file again. */
    private readonly reloadCheckMs = RELOAD_CHECK_MS,
  ) {
    this.snapshot = file ? read(file) : { documents: new Map(), mtimeMs: null };
  }

  /** From TRUSTED_DOCUMENTS_FILE; a missing file is an empty list, or a start-up error when only those may run. */
  static fromConfig(config: Pick<Config, 'TRUSTED_DOCUMENTS_FILE' | 'TRUSTED_DOCUMENTS_ONLY'>): TrustedDocuments {
    const only = config.TRUSTED_DOCUMENTS_ONLY === 'on';
    const file = config.TRUSTED_DOCUMENTS_FILE;
    if (only && !existsSync(file))
      throw new Error(
        `TRUSTED_DOCUMENTS_ONLY=on, but TRUSTED_DOCUMENTS_FILE (${file}) does not exist: build it with npm run codegen`,
      );
    return new TrustedDocuments(file, only);
  }

  get size() {
    return this.snapshot.documents.size;
  }

  /** The document of a hash, reading the file again first if it changed since (see the constructor). */
  private document(hash: string): string | undefined {
    const known = this.snapshot.documents.get(hash);
    if (known !== undefined || !this.file || Date.now() - this.checkedAt < this.reloadCheckMs) return known;
    this.checkedAt = Date.now();
    const mtimeMs = existsSync(this.file) ? statSync(this.file).mtimeMs : null;
    if (mtimeMs !== null && mtimeMs !== this.snapshot.mtimeMs) {
      try {
        this.snapshot = read(this.file);
      } catch {
        // Half-written by codegen: the next check reads it again.
      }
    }
    return this.snapshot.documents.get(hash);
  }

  /** Yoga's persisted-operations plugin over this list. */
  plugin(): Plugin {
    return usePersistedOperations({
      getPersistedOperation: (hash) => this.document(hash) ?? null,
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
      const text = this.document(hash);
      if (text === undefined) throw notInList(hash);
      return text;
    }
    if (this.only) throw new GraphQLError(ONLY_MESSAGE, { extensions: { code: 'PERSISTED_QUERY_ONLY' } });
    return typeof payload.query === 'string' ? payload.query : '';
  }
}
