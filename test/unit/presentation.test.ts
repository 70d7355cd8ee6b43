import { describe, expect, it } from 'vitest';
import { BLOCK_REASON_CODES } from '../../src/operations/block-reasons.js';
import { preflight } from '../../src/gate/preflight.js';
import { translateReason } from '../../src/operations/reasons.js';
import { operation } from '../../src/operations/catalogue.js';

describe('reason catalog', () => {
  it.each(BLOCK_REASON_CODES)(
    '%s has a message and at least one next step with a stable action and a route',
    (code) => {
      const reason = translateReason(code, { tenantId: 't1', connectionId: 'c1', restoreRunId: 'r1' });
      expect(reason.message).toMatch(/^[a-z]/);
      expect(reason.nextSteps.length).toBeGreaterThan(0);
      for (const step of reason.nextSteps) {
        expect(step.action).toMatch(/^[A-Z_]+$/);
        expect(step.url).toMatch(/^\/tenants\/t1/);
      }
    },
  );

  it('routes consent to the connection page', () => {
    expect(translateReason('PROVIDER_CONSENT_REQUIRED', { tenantId: 't1', connectionId: 'c1' }).nextSteps[0]).toEqual({
      label: 'Grant admin consent',
      action: 'GRANT_ADMIN_CONSENT',
      url: '/tenants/t1/provider-connections/c1',
    });
  });
});

describe('preflight order', () => {
  const ok = {
    tenant: { status: 'ACTIVE' as const },
    restoreRun: { status: 'READY' as const },
    connection: { enabled: true, credentialState: 'VALID' as const },
    connectionCanRun: true,
  };

  it('archived tenant, then restore not ready, then connection missing / disabled / credentials', () => {
    const restore = operation('RESTORE_EXECUTE');
    expect(
      preflight(restore, { ...ok, tenant: { status: 'ARCHIVED' }, restoreRun: { status: 'DRAFT' }, connection: null }),
    ).toBe('TENANT_ARCHIVED');
    expect(preflight(restore, { ...ok, restoreRun: { status: 'DRAFT' }, connection: null })).toBe(
      'RESTORE_RUN_NOT_READY',
    );
    expect(preflight(restore, { ...ok, connection: null })).toBe('PROVIDER_CONNECTION_MISSING');
    expect(preflight(restore, { ...ok, connection: { enabled: false, credentialState: 'EXPIRED' } })).toBe(
      'PROVIDER_CONNECTION_DISABLED',
    );
    // A connection whose provider cannot run the type: after disabled, before its credentials.
    expect(
      preflight(restore, {
        ...ok,
        connection: { enabled: false, credentialState: 'EXPIRED' },
        connectionCanRun: false,
      }),
    ).toBe('PROVIDER_CONNECTION_DISABLED');
    expect(
      preflight(restore, { ...ok, connection: { enabled: true, credentialState: 'EXPIRED' }, connectionCanRun: false }),
    ).toBe('PROVIDER_OPERATION_UNSUPPORTED');
    expect(preflight(restore, { ...ok, connection: { enabled: true, credentialState: 'EXPIRED' } })).toBe(
      'PROVIDER_CREDENTIALS_EXPIRED',
    );
    expect(preflight(restore, ok)).toBeNull();
  });

  it('a connection check ignores credential state', () => {
    const check = operation('PROVIDER_CONNECTION_CHECK');
    expect(
      preflight(check, { ...ok, restoreRun: null, connection: { enabled: true, credentialState: 'CONSENT_REQUIRED' } }),
    ).toBeNull();
    expect(
      preflight(check, { ...ok, restoreRun: null, connection: { enabled: false, credentialState: 'VALID' } }),
    ).toBe('PROVIDER_CONNECTION_DISABLED');
  });
});
