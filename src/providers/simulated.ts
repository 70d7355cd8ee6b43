// The simulated provider (PROVIDER_MODE=simulated, the default): deterministic directory data
// per tenant, SIM_LATENCY_MS per provider call, and fault injection per connection through the
// connection's `simulation` JSON, so every failure path can be shown by hand and in tests.
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type {
  CallContext,
  ConnectionCheckResult,
  DirectoryGroupRecord,
  PinnedConnection,
  Provider,
  RestoreItem,
  RoleDefinitionRecord,
  VerificationReport,
} from './provider.js';
import { ProviderError } from './provider.js';

/**
 * Fault injection, set on ProviderConnection.simulation, e.g. `{ "throttle": 2 }`:
 * - throttle: the first N attempts of a run are throttled (HTTP 429, transient);
 * - unavailable: the first N attempts fail with HTTP 503 (transient);
 * - authFailure: every call is rejected as bad credentials (permanent);
 * - credentialState: what a connection check reports (default VALID);
 * - failItems: restore item names that fail to apply (permanent, per item);
 * - groupCount: overrides the deterministic group count;
 * - latencyMs: overrides SIM_LATENCY_MS for this connection.
 */
export const SimulationSettings = z
  .object({
    throttle: z.number().int().min(0).optional(),
    unavailable: z.number().int().min(0).optional(),
    authFailure: z.boolean().optional(),
    credentialState: z.enum(['VALID', 'EXPIRED', 'MISSING', 'CONSENT_REQUIRED']).optional(),
    failItems: z.array(z.string()).optional(),
    groupCount: z.number().int().min(0).max(10_000).optional(),
    latencyMs: z.number().int().min(0).optional(),
  })
  .strip();
export type SimulationSettings = z.infer<typeof SimulationSettings>;

const GROUP_THEMES = [
  'Finance',
  'Sales',
  'Engineering',
  'Support',
  'Marketing',
  'Legal',
  'HR',
  'Operations',
  'Security',
  'Executives',
  'Contractors',
  'Interns',
];
const ROLE_DEFINITIONS = [
  'Global Administrator',
  'User Administrator',
  'Groups Administrator',
  'Security Reader',
  'Helpdesk Administrator',
  'Intune Administrator',
  'Conditional Access Administrator',
];

export class SimulatedProvider implements Provider {
  constructor(private readonly latencyMs: number) {}

  async verifyTenant(connection: PinnedConnection, call: CallContext): Promise<VerificationReport> {
    await this.call(connection, call);
    return simulatedVerificationReport(connection.tenantExternalId);
  }

  async listGroups(connection: PinnedConnection, call: CallContext): Promise<DirectoryGroupRecord[]> {
    return simulatedGroups(connection.tenantExternalId, await this.call(connection, call));
  }

  async listRoleDefinitions(connection: PinnedConnection, call: CallContext): Promise<RoleDefinitionRecord[]> {
    await this.call(connection, call);
    return simulatedRoleDefinitions();
  }

  async checkConnection(connection: PinnedConnection, call: CallContext): Promise<ConnectionCheckResult> {
    const settings = settingsOf(connection);
    await sleep(settings.latencyMs ?? this.latencyMs, call.signal);
    this.transientFaults(settings, call);
    if (settings.authFailure) return { credentialState: 'EXPIRED', detail: 'The provider rejected the client secret' };
    const credentialState = settings.credentialState ?? 'VALID';
    return {
      credentialState,
      detail:
        credentialState === 'VALID' ? 'Token acquired and directory readable' : `Credentials are ${credentialState}`,
    };
  }

  async applyRestoreItem(
    connection: PinnedConnection,
    item: RestoreItem,
    call: CallContext,
  ): Promise<'applied' | 'skipped'> {
    const settings = await this.call(connection, call, 4);
    if (settings.failItems?.includes(item.name))
      throw new ProviderError('PROVIDER_ERROR', `The provider rejected "${item.name}"`, false);
    return 'applied';
  }

  /** One provider round trip: latency, then the injected faults. Restore items are lighter calls. */
  private async call(connection: PinnedConnection, call: CallContext, latencyDivisor = 1): Promise<SimulationSettings> {
    const settings = settingsOf(connection);
    await sleep(Math.round((settings.latencyMs ?? this.latencyMs) / latencyDivisor), call.signal);
    this.transientFaults(settings, call);
    if (settings.authFailure)
      throw new ProviderError('PROVIDER_AUTH_FAILED', 'The provider rejected the client secret', false);
    return settings;
  }

  private transientFaults(settings: SimulationSettings, call: CallContext): void {
    if (settings.throttle && call.attempt <= settings.throttle)
      throw new ProviderError('PROVIDER_THROTTLED', 'HTTP 429 Too Many Requests', true, 0);
    if (settings.unavailable && call.attempt <= settings.unavailable)
      throw new ProviderError('PROVIDER_UNAVAILABLE', 'HTTP 503 Service Unavailable', true, 0);
  }
}

// The simulator's data, exported so tests expect what it lists instead of re-deriving it.

/** The groups listed for a tenant: deterministic per tenant (24 to 47), `groupCount` overrides how many. */
export function simulatedGroups(
  tenantExternalId: string,
  settings: Pick<SimulationSettings, 'groupCount'> = {},
): DirectoryGroupRecord[] {
  const count = settings.groupCount ?? 24 + (seed(tenantExternalId) % 24);
  return Array.from({ length: count }, (_, i) => {
    const theme = GROUP_THEMES[i % GROUP_THEMES.length];
    const n = String(i + 1).padStart(2, '0');
    return {
      externalId: stableGuid(`${tenantExternalId}:group:${i}`),
      displayName: `${theme} ${n}`,
      mail: `${theme.toLowerCase()}${n}@${slugOf(tenantExternalId)}.test`,
    };
  });
}

/** The built-in role definitions listed for every tenant. */
export function simulatedRoleDefinitions(): RoleDefinitionRecord[] {
  return ROLE_DEFINITIONS.map((name) => ({
    externalId: stableGuid(`role:${name}`),
    displayName: name,
    isBuiltIn: true,
  }));
}

/** The verification report for a tenant: every check passes. */
export function simulatedVerificationReport(tenantExternalId: string): VerificationReport {
  const slug = slugOf(tenantExternalId);
  return {
    organizationId: tenantExternalId,
    displayName: `Tenant ${slug}`,
    verifiedDomains: [`${slug}.onmicrosoft.com`],
    checks: [
      { name: 'organization-id-matches', passed: true },
      { name: 'has-verified-domain', passed: true },
    ],
  };
}

function settingsOf(connection: PinnedConnection): SimulationSettings {
  const parsed = SimulationSettings.safeParse(connection.credentials ?? {});
  return parsed.success ? parsed.data : {};
}

const seed = (text: string) => createHash('sha1').update(text).digest().readUInt32BE(0);
const slugOf = (externalId: string) => externalId.slice(0, 8);

function stableGuid(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Waits `ms`; an aborted call rejects at once with the signal's reason, as a real request would. */
async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await delay(ms, undefined, { signal }).catch((err: unknown) => {
    throw signal?.aborted ? signal.reason : err;
  });
}
