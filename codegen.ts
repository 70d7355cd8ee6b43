// GraphQL Code Generator: typed documents for the tests (and a template for SPA clients).
// Reads the committed schema snapshot, so `npm run schema:print` comes first after a schema change.
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  ignoreNoDocuments: true,
  // ESM with NodeNext resolution: relative imports need their .js extension.
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      // Every typed document lives in one file (a glob over all tests also plucked template literals ending in "/graphql`").
      documents: ['test/support/documents.ts'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { scalars: { DateTime: 'string' }, useTypeImports: true, enumsAsTypes: true },
    },
    // The operator console (examples/console): its documents are `graphql(...)` calls in its components.
    // persisted-documents.json (sha256 -> document) is the API's trusted documents list
    // (TRUSTED_DOCUMENTS_FILE); each document carries its hash for the console's persistedExchange.
    'examples/console/src/gql/': {
      documents: ['examples/console/src/**/*.{ts,tsx}', '!examples/console/src/gql/**'],
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
      // The normalized cache (Graphcache) keys entities by __typename: the persisted documents the
      // API runs must ask for it, since the console never sends its own (urql's added) text.
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: { scalars: { DateTime: 'string' }, useTypeImports: true, enumsAsTypes: true },
    },
    // The schema's shape for the console's normalized cache (which union and interface members a
    // fragment matches), minified: examples/console/src/runs-cache.ts passes it to Graphcache.
    'examples/console/src/gql/introspection.ts': {
      plugins: ['urql-introspection'],
      config: { useTypeImports: true },
    },
  },
  silent: true,
};

export default config;
