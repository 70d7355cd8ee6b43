// Trusted documents: with TRUSTED_DOCUMENTS_ONLY=on only the listed documents run, named by hash,
// over HTTP and graphql-ws; off (the default), arbitrary documents run too and hashes are served.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustedDocuments } from '../../src/graphql/trusted-documents.js';
import { startServer, type ApiServer } from '../../src/server.js';
import { wsSubscribe } from '../support/clients.js';
import { createWorld, ids, type World } from '../support/world.js';
import { waitFor } from '../support/wait.js';

const ME = 'query Me { me { email } }';
const START = 'mutation Start($tenantId: ID!) { startTenantVerification(tenantId: $tenantId) { __typename } }';
const RUNS = 'subscription Runs($tenantId: ID) { operationRunUpdated(tenantId: $tenantId) { id status } }';
const LIST = { 'sha256:me': ME, 'sha256:start': START, 'sha256:runs': RUNS };
const portOf = (api: ApiServer) => Number(new URL(api.url).port);
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

const dir = mkdtempSync(path.join(tmpdir(), 'atlas-trusted-'));
const file = path.join(dir, 'persisted-documents.json');
writeFileSync(file, JSON.stringify(LIST));

let only: World;
let open: World;
let server: ApiServer;
let openServer: ApiServer;
beforeAll(async () => {
  [only, open] = await Promise.all([
    createWorld({ TRUSTED_DOCUMENTS_ONLY: 'on', TRUSTED_DOCUMENTS_FILE: file }),
    createWorld({ TRUSTED_DOCUMENTS_FILE: file }),
  ]);
  [server, openServer] = await Promise.all([startServer(only.services, 0), startServer(open.services, 0)]);
});
afterAll(async () => {
  await Promise.all([server?.close(), openServer?.close()]);
  await Promise.all([only?.close(), open?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function post(api: ApiServer, world: World, body: Record<string, unknown>) {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await world.token('owner@contoso.test')}` },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

describe('TRUSTED_DOCUMENTS_ONLY=on', () => {
  it('runs a listed document by its hash, a mutation included', async () => {
    expect((await post(server, only, { extensions: persisted('sha256:me') })).data).toEqual({
      me: { email: 'owner@contoso.test' },
    });
    const started = await post(server, only, {
      extensions: persisted('sha256:start'),
      variables: { tenantId: ids.tenant('Alpine') },
    });
    expect(started.data?.startTenantVerification.__typename).toBe('StartAccepted');
  });

  it('refuses a document sent as text, even one that is on the list, and an unknown hash; nothing runs', async () => {
    const before = await only.services.prisma.operationRun.count();
    const text = await post(server, only, { query: START, variables: { tenantId: ids.tenant('Elm') } });
    expect(text.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_ONLY']);
    expect(text.errors?.[0]?.message).toMatch(/only its trusted documents/);
    const unknown = await post(server, only, { extensions: persisted('sha256:nope') });
    expect(unknown.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(await only.services.prisma.operationRun.count()).toBe(before);
  });

  it('subscribes over graphql-ws by hash and receives events; a subscription sent as text is refused', async () => {
    const token = await only.token('owner@contoso.test');
    const live = wsSubscribe(portOf(server), token, '', { tenantId: ids.tenant('Elm') }, 0, {
      ack: true,
      extensions: persisted('sha256:runs'),
    });
    await live.live;
    const refused = wsSubscribe(portOf(server), token, RUNS, {});
    const started = await post(server, only, {
      extensions: persisted('sha256:start'),
      variables: { tenantId: ids.tenant('Elm') },
    });
    expect(started.data?.startTenantVerification.__typename).toBe('StartAccepted');
    await waitFor(() => live.events.some((e) => e.data?.operationRunUpdated?.status === 'QUEUED'), {
      what: 'the QUEUED event',
    });
    await waitFor(() => refused.errors.length > 0, { what: 'the refusal' });
    expect((refused.errors[0] as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_ONLY',
    );
    await Promise.all([live.client.dispose(), refused.client.dispose()]);
  });

  it('will not start without its list', () => {
    expect(() =>
      TrustedDocuments.fromConfig({
        TRUSTED_DOCUMENTS_ONLY: 'on',
        TRUSTED_DOCUMENTS_FILE: path.join(dir, 'missing.json'),
      }),
    ).toThrow(/TRUSTED_DOCUMENTS_ONLY=on, but TRUSTED_DOCUMENTS_FILE .* does not exist/);
  });
});

describe('TRUSTED_DOCUMENTS_ONLY=off (the default)', () => {
  it('picks up a list written after start-up (npm run codegen while the API runs), without a restart', async () => {
    const later = path.join(dir, 'written-later.json');
    // Looks again on every unknown hash here (the API: at most once a second).
    const trusted = new TrustedDocuments(later, false, 0);
    expect(() => trusted.textOf({ extensions: persisted('sha256:me') })).toThrow(/No trusted document/);
    writeFileSync(later, JSON.stringify(LIST));
    expect(trusted.textOf({ extensions: persisted('sha256:me') })).toBe(ME);
    expect(trusted.size).toBe(3);
  });

  it('runs arbitrary documents and listed hashes alike', async () => {
    expect((await post(openServer, open, { query: '{ me { displayName } }' })).data?.me.displayName).toBe(
      'Olivia Owner',
    );
    expect((await post(openServer, open, { extensions: persisted('sha256:me') })).data?.me.email).toBe(
      'owner@contoso.test',
    );
    const unknown = await post(openServer, open, { extensions: persisted('sha256:nope') });
    expect(unknown.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });
});
