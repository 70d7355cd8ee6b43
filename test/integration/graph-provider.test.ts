// GraphProvider over real HTTP against the local fake Graph: no mocked fetch, only `sleep` is
// replaced so retry waits are recorded instead of slept.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphProvider, type GraphProviderOptions } from '../../src/providers/graph.js';
import { ProviderError } from '../../src/providers/provider.js';
import {
  FAKE_CLIENT_SECRET,
  FAKE_TENANT_ID,
  fakeGroupId,
  startFakeGraph,
  type FakeGraph,
} from '../support/fake-graph.js';

const call = { attempt: 1 };

let graph: FakeGraph;
let sleeps: number[];

function provider(options: Partial<GraphProviderOptions> = {}): GraphProvider {
  return new GraphProvider({
    authorityUrl: graph.authorityUrl,
    apiUrl: graph.apiUrl,
    sleep: async (ms) => void sleeps.push(ms),
    ...options,
  });
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

beforeAll(async () => {
  graph = await startFakeGraph();
});

afterAll(async () => {
  await graph.close();
});

beforeEach(() => {
  graph.reset();
  sleeps = [];
});

describe('GraphProvider tokens', () => {
  it('acquires a client-credentials token once and reuses it across calls', async () => {
    const p = provider();
    await p.listGroups(graph.connection(), call);
    await p.listRoleDefinitions(graph.connection(), call);

    const tokenRequests = graph.tokenRequests();
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0].path).toBe(`/${FAKE_TENANT_ID}/oauth2/v2.0/token`);
    expect(tokenRequests[0].body).toEqual({
      grant_type: 'client_credentials',
      client_id: graph.clientId,
      client_secret: FAKE_CLIENT_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    });
    const apiAuth = graph.requests.filter((r) => r.path.startsWith('/v1.0')).map((r) => r.auth);
    expect(apiAuth).toEqual(['Bearer fake-access-token-1', 'Bearer fake-access-token-1']);
  });

  it('keeps separate tokens per tenant', async () => {
    const other = '0b0b0b0b-0000-4000-8000-000000000002';
    graph.tenants[other] = { displayName: 'Fabrikam', verifiedDomains: ['fabrikam.test'] };
    const p = provider();
    await p.listGroups(graph.connection(), call);
    await p.listGroups(graph.connection({ tenantExternalId: other }), call);
    await p.listGroups(graph.connection(), call);

    expect(graph.tokenRequests().map((r) => r.path)).toEqual([
      `/${FAKE_TENANT_ID}/oauth2/v2.0/token`,
      `/${other}/oauth2/v2.0/token`,
    ]);
  });

  it('re-acquires the token once when Graph answers 401, then succeeds', async () => {
    const p = provider();
    await p.listGroups(graph.connection(), call);
    graph.revokeTokens();

    const groups = await p.listGroups(graph.connection(), call);

    expect(groups).toHaveLength(5);
    expect(graph.tokenRequests()).toHaveLength(2);
    expect(graph.apiRequests('/groups').map((r) => r.auth)).toEqual([
      'Bearer fake-access-token-1',
      'Bearer fake-access-token-1',
      'Bearer fake-access-token-2',
    ]);
  });

  it('gives up with PROVIDER_AUTH_FAILED when Graph keeps answering 401', async () => {
    graph.script({ path: '/groups', status: 401, times: Infinity });

    const err = await providerError(provider().listGroups(graph.connection(), call));

    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.transient).toBe(false);
    expect(graph.apiRequests('/groups')).toHaveLength(2);
    expect(graph.tokenRequests()).toHaveLength(2);
  });
});

describe('GraphProvider reads', () => {
  it('follows @odata.nextLink across 3 pages of groups in order', async () => {
    graph.groupCount = 7;
    graph.groupPageSize = 3;

    const groups = await provider().listGroups(graph.connection(), call);

    expect(groups).toHaveLength(7);
    expect(groups.map((g) => g.externalId)).toEqual(Array.from({ length: 7 }, (_, i) => fakeGroupId(i)));
    expect(groups[0]).toEqual({ externalId: fakeGroupId(0), displayName: 'Group 01', mail: 'group1@contoso.test' });
    expect(groups[2].mail).toBeNull();
    const pages = graph.apiRequests('/groups').map((r) => r.path);
    expect(pages).toEqual([
      '/v1.0/groups?$select=id,displayName,mail&$top=999',
      '/v1.0/groups?$select=id,displayName,mail&$top=999&$skiptoken=3',
      '/v1.0/groups?$select=id,displayName,mail&$top=999&$skiptoken=6',
    ]);
  });

  it('lists role definitions across pages', async () => {
    graph.roleDefinitionPageSize = 3;

    const roles = await provider().listRoleDefinitions(graph.connection(), call);

    expect(roles).toEqual(
      graph.roleDefinitions.map((r) => ({ externalId: r.id, displayName: r.displayName, isBuiltIn: r.isBuiltIn })),
    );
    expect(roles).toHaveLength(4);
    expect(graph.apiRequests('/roleDefinitions')).toHaveLength(2);
    expect(graph.apiRequests('/roleDefinitions')[0].path).toBe(
      '/v1.0/roleManagement/directory/roleDefinitions?$select=id,displayName,isBuiltIn',
    );
  });

  it('verifyTenant passes both checks for a matching organization', async () => {
    const report = await provider().verifyTenant(
      graph.connection({ tenantExternalId: FAKE_TENANT_ID.toUpperCase() }),
      call,
    );

    expect(report).toEqual({
      organizationId: FAKE_TENANT_ID,
      displayName: 'Contoso',
      verifiedDomains: ['contoso.onmicrosoft.com'],
      checks: [
        { name: 'organization-id-matches', passed: true },
        { name: 'has-verified-domain', passed: true },
      ],
    });
  });

  it('verifyTenant fails the checks for a mismatched organization without verified domains', async () => {
    graph.tenants[FAKE_TENANT_ID] = {
      displayName: 'Elsewhere',
      verifiedDomains: [],
      organizationId: '99999999-0000-4000-8000-000000000009',
    };

    const report = await provider().verifyTenant(graph.connection(), call);

    expect(report.checks.map((c) => [c.name, c.passed])).toEqual([
      ['organization-id-matches', false],
      ['has-verified-domain', false],
    ]);
    expect(report.checks[0].detail).toContain('99999999-0000-4000-8000-000000000009');
  });

  it('maps 403 to PROVIDER_PERMISSION_DENIED without retrying', async () => {
    graph.script({
      path: '/groups',
      status: 403,
      body: {
        error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
      },
    });

    const err = await providerError(provider().listGroups(graph.connection(), call));

    expect(err.code).toBe('PROVIDER_PERMISSION_DENIED');
    expect(err.transient).toBe(false);
    expect(err.message).toContain('Authorization_RequestDenied');
    expect(graph.apiRequests('/groups')).toHaveLength(1);
  });

  it('maps 500 to a transient PROVIDER_ERROR left to the run-level retry', async () => {
    graph.script({ path: '/groups', status: 500 });

    const err = await providerError(provider().listGroups(graph.connection(), call));

    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.transient).toBe(true);
    expect(graph.apiRequests('/groups')).toHaveLength(1);
  });
});

describe('GraphProvider retries', () => {
  it('waits the Retry-After seconds on 429 and then succeeds', async () => {
    graph.script({ path: '/groups', status: 429, headers: { 'retry-after': '2' } });
    graph.script({ path: '/groups', status: 429, headers: { 'retry-after': '0' } });

    const groups = await provider().listGroups(graph.connection(), call);

    expect(groups).toHaveLength(5);
    expect(graph.apiRequests('/groups')).toHaveLength(3);
    expect(sleeps).toEqual([2000, 0]);
  });

  it('caps Retry-After at maxRetryAfterMs and understands HTTP-dates', async () => {
    graph.script({ path: '/groups', status: 429, headers: { 'retry-after': '120' } });
    graph.script({
      path: '/groups',
      status: 503,
      headers: { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() },
    });

    await provider({ maxRetryAfterMs: 5_000 }).listGroups(graph.connection(), call);

    expect(sleeps).toEqual([5_000, 5_000]);
  });

  it('throws a transient PROVIDER_THROTTLED after exactly maxRetries + 1 attempts of 429', async () => {
    graph.script({ path: '/groups', status: 429, times: Infinity });

    const err = await providerError(provider({ maxRetries: 3 }).listGroups(graph.connection(), call));

    expect(err.code).toBe('PROVIDER_THROTTLED');
    expect(err.transient).toBe(true);
    expect(graph.apiRequests('/groups')).toHaveLength(4);
    // No Retry-After: exponential backoff.
    expect(sleeps).toEqual([500, 1000, 2000]);
  });

  it('reports the last Retry-After on the final throttling error', async () => {
    graph.script({ path: '/groups', status: 429, headers: { 'retry-after': '7' }, times: Infinity });

    const err = await providerError(provider({ maxRetries: 1 }).listGroups(graph.connection(), call));

    expect(err.retryAfterMs).toBe(7000);
    expect(sleeps).toEqual([7000]);
  });

  it('throws a transient PROVIDER_UNAVAILABLE when 503 persists (default 4 retries)', async () => {
    graph.script({ path: '/groups', status: 503, times: Infinity });

    const err = await providerError(provider().listGroups(graph.connection(), call));

    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.transient).toBe(true);
    expect(graph.apiRequests('/groups')).toHaveLength(5);
  });

  it('retries the token endpoint on 503 too', async () => {
    graph.script({ path: '/oauth2/v2.0/token', status: 503, headers: { 'retry-after': '1' } });

    await provider().listGroups(graph.connection(), call);

    expect(graph.tokenRequests()).toHaveLength(2);
    expect(sleeps).toEqual([1000]);
  });

  it('treats refused connections as transient PROVIDER_UNAVAILABLE', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const err = await providerError(
      provider({ authorityUrl: `http://127.0.0.1:${port}`, maxRetries: 2 }).listGroups(graph.connection(), call),
    );

    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.transient).toBe(true);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('stops when the call is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));

    await expect(provider().listGroups(graph.connection(), { attempt: 1, signal: controller.signal })).rejects.toThrow(
      'run cancelled',
    );
    expect(graph.requests).toHaveLength(0);
  });
});

describe('GraphProvider credentials', () => {
  it('checkConnection reports VALID and bypasses the token cache', async () => {
    const p = provider();
    await p.listGroups(graph.connection(), call);

    const result = await p.checkConnection(graph.connection(), call);

    expect(result.credentialState).toBe('VALID');
    expect(result.detail).toContain('Contoso');
    expect(graph.tokenRequests()).toHaveLength(2);
  });

  it('expired secret: checkConnection reports EXPIRED and reads fail with PROVIDER_CREDENTIALS_EXPIRED', async () => {
    graph.credentialMode = 'expired';
    const p = provider();

    const result = await p.checkConnection(graph.connection(), call);
    expect(result.credentialState).toBe('EXPIRED');
    expect(result.detail).toContain('AADSTS7000222');

    const err = await providerError(p.listGroups(graph.connection(), call));
    expect(err.code).toBe('PROVIDER_CREDENTIALS_EXPIRED');
    expect(err.transient).toBe(false);
    expect(err.message).not.toContain(FAKE_CLIENT_SECRET);
  });

  it('missing consent: checkConnection reports CONSENT_REQUIRED and reads fail with PROVIDER_CONSENT_REQUIRED', async () => {
    graph.credentialMode = 'consent-required';
    const p = provider();

    expect((await p.checkConnection(graph.connection(), call)).credentialState).toBe('CONSENT_REQUIRED');
    const err = await providerError(p.listRoleDefinitions(graph.connection(), call));
    expect(err.code).toBe('PROVIDER_CONSENT_REQUIRED');
    expect(err.transient).toBe(false);
  });

  it('a 403 on /organization during checkConnection means CONSENT_REQUIRED', async () => {
    graph.script({ path: '/organization', status: 403 });

    const result = await provider().checkConnection(graph.connection(), call);

    expect(result.credentialState).toBe('CONSENT_REQUIRED');
  });

  it('missing secret: checkConnection reports MISSING without any request', async () => {
    const p = provider();

    expect((await p.checkConnection(graph.connection({ clientSecret: null }), call)).credentialState).toBe('MISSING');
    const err = await providerError(p.listGroups(graph.connection({ clientId: null }), call));
    expect(err.code).toBe('PROVIDER_CREDENTIALS_MISSING');
    expect(err.transient).toBe(false);
    expect(graph.requests).toHaveLength(0);
  });

  it('wrong secret: checkConnection reports EXPIRED and reads fail with PROVIDER_AUTH_FAILED, secret not echoed', async () => {
    const wrong = 'wrong-secret-must-not-leak';
    const p = provider();

    expect((await p.checkConnection(graph.connection({ clientSecret: wrong }), call)).credentialState).toBe('EXPIRED');
    const err = await providerError(p.listGroups(graph.connection({ clientSecret: wrong }), call));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.transient).toBe(false);
    expect(err.message).not.toContain(wrong);
    expect(err.message).toContain('AADSTS7000215');
  });

  it('a token issued for the right secret is not reused for a wrong one', async () => {
    const p = provider();
    await p.listGroups(graph.connection(), call);

    const err = await providerError(p.listGroups(graph.connection({ clientSecret: 'replaced-by-mistake' }), call));

    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
  });
});

describe('GraphProvider restore', () => {
  it('posts the payload to the endpoint for the item kind and reports applied', async () => {
    const p = provider();

    await expect(
      p.applyRestoreItem(graph.connection(), { kind: 'compliancePolicy', name: 'Baseline' }, call),
    ).resolves.toBe('applied');
    const payload = { displayName: 'Block legacy auth', state: 'enabled' };
    await expect(
      p.applyRestoreItem(graph.connection(), { kind: 'conditionalAccessPolicy', name: 'CA', payload }, call),
    ).resolves.toBe('applied');
    await expect(
      p.applyRestoreItem(graph.connection(), { kind: 'configurationProfile', name: 'Wi-Fi' }, call),
    ).resolves.toBe('applied');

    expect(graph.restored).toEqual([
      { path: '/deviceManagement/deviceCompliancePolicies', body: { displayName: 'Baseline' } },
      { path: '/identity/conditionalAccess/policies', body: payload },
      { path: '/deviceManagement/deviceConfigurations', body: { displayName: 'Wi-Fi' } },
    ]);
  });

  it('reports skipped for an item that already exists (409)', async () => {
    graph.existingDisplayNames = ['Baseline'];

    await expect(
      provider().applyRestoreItem(graph.connection(), { kind: 'compliancePolicy', name: 'Baseline' }, call),
    ).resolves.toBe('skipped');
    expect(graph.restored).toEqual([]);
  });

  it('reports skipped for an unknown kind without calling Graph', async () => {
    await expect(
      provider().applyRestoreItem(graph.connection(), { kind: 'mysteryWidget', name: 'X' }, call),
    ).resolves.toBe('skipped');
    expect(graph.requests).toHaveLength(0);
  });

  it('throws a non-transient PROVIDER_ERROR naming the rejected item', async () => {
    graph.rejectDisplayNames = ['Broken policy'];

    const err = await providerError(
      provider().applyRestoreItem(graph.connection(), { kind: 'compliancePolicy', name: 'Broken policy' }, call),
    );

    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.transient).toBe(false);
    expect(err.message).toContain('Broken policy');
    expect(err.message).toContain('HTTP 400');
  });
});
